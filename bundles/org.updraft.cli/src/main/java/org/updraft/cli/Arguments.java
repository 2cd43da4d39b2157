package org.updraft.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command line parsed against one command's options: {@code --name value}, {@code --name=value}, repeatable
 * options, boolean switches ({@code --force}, {@code --raw-leaves=false}) and positional arguments. Strict on
 * purpose: an unknown or repeated option, a missing value or a stray argument is an error, never a guess.
 */
final class Arguments {

    /** What a command accepts. */
    static final class Spec {

        private enum Kind { VALUE, REPEATED, SWITCH }

        private final String command;
        private final Map<String, Kind> options = new LinkedHashMap<>();
        private String positionalLabel;
        private int minPositional;
        private int maxPositional;

        Spec(String command) {
            this.command = command;
        }

        /** An option taking one value, given at most once. */
        Spec value(String name) {
            options.put(name, Kind.VALUE);
            return this;
        }

        /** An option taking one value, given any number of times. */
        Spec repeated(String name) {
            options.put(name, Kind.REPEATED);
            return this;
        }

        /** A boolean switch: {@code --name} is true; {@code --name=true|false} says it explicitly. */
        Spec flag(String name) {
            options.put(name, Kind.SWITCH);
            return this;
        }

        /** Positional arguments, {@code min} to {@code max} of them, named {@code label} in errors. */
        Spec positional(String label, int min, int max) {
            this.positionalLabel = label;
            this.minPositional = min;
            this.maxPositional = max;
            return this;
        }

        String command() {
            return command;
        }

        /** Parses {@code args} (the words after the command name). */
        Arguments parse(List<String> args) throws UsageException {
            Map<String, List<String>> values = new LinkedHashMap<>();
            List<String> positional = new ArrayList<>();
            boolean optionsEnded = false;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                if (optionsEnded || !arg.startsWith("-") || arg.equals("-")) {
                    positional.add(arg);
                    continue;
                }
                if (arg.equals("--")) {
                    optionsEnded = true;
                    continue;
                }
                if (!arg.startsWith("--")) {
                    throw new UsageException("unknown option '" + arg + "' for 'updraft " + command + "'" + seeHelp());
                }
                int eq = arg.indexOf('=');
                String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
                String inline = eq < 0 ? null : arg.substring(eq + 1);
                Kind kind = options.get(name);
                if (kind == null) {
                    throw new UsageException("unknown option '--" + name + "' for 'updraft " + command + "'" + seeHelp());
                }
                String value;
                if (kind == Kind.SWITCH) {
                    value = inline == null ? "true" : parseBoolean(name, inline);
                } else if (inline != null) {
                    value = inline;
                } else {
                    // a following option is a forgotten value, not a value that happens to start with "--"
                    if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                        throw new UsageException("option --" + name + " needs a value" + seeHelp());
                    }
                    value = args.get(++i);
                }
                List<String> list = values.computeIfAbsent(name, n -> new ArrayList<>());
                if (kind != Kind.REPEATED && !list.isEmpty()) {
                    throw new UsageException("option --" + name + " is given more than once");
                }
                list.add(value);
            }
            if (positional.size() > maxPositional) {
                String first = positional.get(maxPositional);
                throw new UsageException(maxPositional == 0
                        ? "'updraft " + command + "' takes no arguments, but got '" + first + "'" + seeHelp()
                        : "unexpected argument '" + first + "' for 'updraft " + command + "'" + seeHelp());
            }
            if (positional.size() < minPositional) {
                throw new UsageException("'updraft " + command + "' needs " + positionalLabel + seeHelp());
            }
            return new Arguments(this, values, positional);
        }

        private static String parseBoolean(String name, String text) throws UsageException {
            if (text.equals("true") || text.equals("false")) {
                return text;
            }
            throw new UsageException("option --" + name + " is true or false, not '" + text + "'");
        }

        private String seeHelp() {
            return " (see 'updraft " + command + " --help')";
        }
    }

    private final Spec spec;
    private final Map<String, List<String>> values;
    private final List<String> positional;

    private Arguments(Spec spec, Map<String, List<String>> values, List<String> positional) {
        this.spec = spec;
        this.values = values;
        this.positional = List.copyOf(positional);
    }

    /** The option's value, or null when it was not given. */
    String optional(String name) {
        List<String> list = values.get(name);
        return list == null ? null : list.get(0);
    }

    String optional(String name, String fallback) {
        String value = optional(name);
        return value == null ? fallback : value;
    }

    /** The option's value; its absence is a usage error. */
    String required(String name) throws UsageException {
        String value = optional(name);
        if (value == null) {
            throw new UsageException("'updraft " + spec.command() + "' needs --" + name + " (see 'updraft "
                    + spec.command() + " --help')");
        }
        if (value.isEmpty()) {
            throw new UsageException("option --" + name + " must not be empty");
        }
        return value;
    }

    /** Every value of a repeatable option, in order. */
    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** A switch: false unless given. */
    boolean flag(String name) {
        return Boolean.parseBoolean(optional(name, "false"));
    }

    /** Whether the option or switch was given at all, whatever its value. */
    boolean has(String name) {
        return values.containsKey(name);
    }

    List<String> positional() {
        return positional;
    }

    Path requiredPath(String name) throws UsageException {
        return path(name, required(name));
    }

    Path optionalPath(String name) throws UsageException {
        String value = optional(name);
        return value == null ? null : path(name, value);
    }

    static Path path(String name, String value) throws UsageException {
        try {
            return Path.of(value);
        } catch (RuntimeException e) {
            throw new UsageException("option --" + name + ": '" + value + "' is not a valid path");
        }
    }

    /** A non-negative integer option that must be given. */
    long requiredNonNegative(String name) throws UsageException {
        required(name);
        return nonNegative(name, -1);
    }

    /** A non-negative integer option, or {@code fallback} when absent. */
    long nonNegative(String name, long fallback) throws UsageException {
        String value = optional(name);
        if (value == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("option --" + name + " must be a non-negative integer, not '" + value + "'");
    }
}
