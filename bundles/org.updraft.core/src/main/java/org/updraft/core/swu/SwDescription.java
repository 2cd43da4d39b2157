package org.updraft.core.swu;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What Updraft reads from a {@code sw-description}: the artifacts it names (in {@code images}, {@code files} and
 * {@code scripts} lists anywhere under {@code software}, board and selection sections included) and the
 * {@code hardware-compatibility} revisions. The text is libconfig (the syntax SWUpdate's parser takes): settings
 * {@code name = value;} or {@code name: value,}, groups {@code { }}, lists {@code ( )}, arrays {@code [ ]},
 * strings (adjacent ones joined), numbers, booleans and the three comment styles. {@code @include} is refused: an
 * archive is checked alone. The parser is bounded: at most {@value #MAX_SIZE} bytes, nesting at most
 * {@value #MAX_DEPTH} deep.
 */
public final class SwDescription {

    /** Largest sw-description accepted; SWUpdate's own are a few KiB. */
    public static final int MAX_SIZE = 256 * 1024;
    static final int MAX_DEPTH = 32;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final List<String> ARTIFACT_LISTS = List.of("images", "files", "scripts");

    /**
     * One file of the archive sw-description names.
     *
     * @param list the list it is in: {@code images}, {@code files} or {@code scripts}
     * @param filename the archive entry's name
     * @param sha256 the stated SHA-256 in lowercase hex, or null when none is stated
     * @param type the handler ({@code raw}, {@code archive}, ...), or null
     * @param device the device it is written to, or null
     */
    public record Artifact(String list, String filename, String sha256, String type, String device) {
    }

    private final List<Artifact> artifacts;
    private final List<String> hardwareCompatibility;

    private SwDescription(List<Artifact> artifacts, List<String> hardwareCompatibility) {
        this.artifacts = List.copyOf(artifacts);
        this.hardwareCompatibility = List.copyOf(hardwareCompatibility);
    }

    /** Every artifact, in the order sw-description names them (a file named in two selections appears twice). */
    public List<Artifact> artifacts() {
        return artifacts;
    }

    /** Every {@code hardware-compatibility} revision stated under {@code software}, in order; empty when none. */
    public List<String> hardwareCompatibility() {
        return hardwareCompatibility;
    }

    /**
     * @param text sw-description's bytes (UTF-8)
     * @throws SwuException {@code bad-sw-description} with the line when it is not libconfig, has no
     *         {@code software} group, or an artifact's filename or sha256 is malformed
     */
    public static SwDescription parse(byte[] text) throws SwuException {
        if (text.length > MAX_SIZE) {
            throw bad("sw-description is " + text.length + " bytes, more than " + MAX_SIZE);
        }
        Map<String, Object> root = new Parser(new String(text, StandardCharsets.UTF_8)).document();
        if (!(root.get("software") instanceof Map<?, ?> software)) {
            throw bad("sw-description has no 'software' group");
        }
        List<Artifact> artifacts = new ArrayList<>();
        List<String> hardware = new ArrayList<>();
        collect(software, artifacts, hardware);
        return new SwDescription(artifacts, hardware);
    }

    private static void collect(Map<?, ?> group, List<Artifact> artifacts, List<String> hardware)
            throws SwuException {
        for (Map.Entry<?, ?> setting : group.entrySet()) {
            String name = (String) setting.getKey();
            Object value = setting.getValue();
            if (name.equals("hardware-compatibility") && value instanceof List<?> revisions) {
                for (Object revision : revisions) {
                    hardware.add(String.valueOf(revision));
                }
            } else if (ARTIFACT_LISTS.contains(name) && value instanceof List<?> entries) {
                for (Object entry : entries) {
                    if (entry instanceof Map<?, ?> artifact && artifact.get("filename") != null) {
                        artifacts.add(artifact(name, artifact));
                    }
                }
            } else if (value instanceof Map<?, ?> section) {
                collect(section, artifacts, hardware);
            }
        }
    }

    private static Artifact artifact(String list, Map<?, ?> entry) throws SwuException {
        String filename = String.valueOf(entry.get("filename"));
        if (filename.isEmpty() || filename.contains("/") || filename.length() > CpioReader.MAX_NAME) {
            throw bad("sw-description names a file '" + filename + "' that cannot be an archive entry");
        }
        Object sha256 = entry.get("sha256");
        if (sha256 != null && !SHA256.matcher(String.valueOf(sha256)).matches()) {
            throw bad("sha256 of " + filename + " in sw-description is not 64 hexadecimal digits");
        }
        return new Artifact(list, filename, sha256 == null ? null : String.valueOf(sha256).toLowerCase(),
                entry.get("type") == null ? null : String.valueOf(entry.get("type")),
                entry.get("device") == null ? null : String.valueOf(entry.get("device")));
    }

    static SwuException bad(String message) {
        return new SwuException("bad-sw-description", message);
    }

    /**
     * A recursive-descent libconfig parser into maps (groups, in order), lists (lists and arrays) and scalars
     * (strings; numbers and booleans as written). Recursion is bounded by {@link #MAX_DEPTH}.
     */
    private static final class Parser {

        private final String text;
        private int at;
        private int depth;

        Parser(String text) {
            this.text = text;
        }

        Map<String, Object> document() throws SwuException {
            Map<String, Object> root = settings('\0');
            skipBlank();
            if (at < text.length()) {
                throw error("unexpected '" + text.charAt(at) + "'");
            }
            return root;
        }

        /** Settings until {@code close} (or the end, for the document). */
        private Map<String, Object> settings(char close) throws SwuException {
            Map<String, Object> group = new LinkedHashMap<>();
            while (true) {
                skipBlank();
                if (at >= text.length()) {
                    if (close != '\0') {
                        throw error("missing '" + close + "'");
                    }
                    return group;
                }
                if (text.charAt(at) == close) {
                    at++;
                    return group;
                }
                if (text.charAt(at) == '@') {
                    throw error("directives such as @include are not supported");
                }
                String name = name();
                skipBlank();
                if (at >= text.length() || (text.charAt(at) != '=' && text.charAt(at) != ':')) {
                    throw error("expected '=' or ':' after '" + name + "'");
                }
                at++;
                Object value = value();
                if (group.putIfAbsent(name, value) != null) {
                    throw error("setting '" + name + "' appears twice");
                }
                skipBlank();
                if (at < text.length() && (text.charAt(at) == ';' || text.charAt(at) == ',')) {
                    at++;
                }
            }
        }

        private String name() throws SwuException {
            int start = at;
            if (at < text.length() && (Character.isLetter(text.charAt(at)) || text.charAt(at) == '*')) {
                at++;
                while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at))
                        || "-_*".indexOf(text.charAt(at)) >= 0)) {
                    at++;
                }
            }
            if (start == at) {
                throw error("expected a setting name");
            }
            return text.substring(start, at);
        }

        private Object value() throws SwuException {
            skipBlank();
            if (at >= text.length()) {
                throw error("missing value");
            }
            char c = text.charAt(at);
            if (c == '{' || c == '(' || c == '[') {
                if (++depth > MAX_DEPTH) {
                    throw error("nested more than " + MAX_DEPTH + " deep");
                }
                at++;
                Object nested = c == '{' ? settings('}') : values(c == '(' ? ')' : ']');
                depth--;
                return nested;
            }
            if (c == '"') {
                StringBuilder joined = new StringBuilder();
                do {
                    string(joined);
                    skipBlank();
                } while (at < text.length() && text.charAt(at) == '"');
                return joined.toString();
            }
            int start = at;
            while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || "+-._".indexOf(
                    text.charAt(at)) >= 0)) {
                at++;
            }
            if (start == at) {
                throw error("unexpected '" + c + "'");
            }
            return text.substring(start, at);
        }

        private List<Object> values(char close) throws SwuException {
            List<Object> values = new ArrayList<>();
            while (true) {
                skipBlank();
                if (at >= text.length()) {
                    throw error("missing '" + close + "'");
                }
                if (text.charAt(at) == close) {
                    at++;
                    return values;
                }
                values.add(value());
                skipBlank();
                if (at < text.length() && text.charAt(at) == ',') {
                    at++;
                } else if (at < text.length() && text.charAt(at) != close) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
        }

        private void string(StringBuilder out) throws SwuException {
            at++;
            while (true) {
                if (at >= text.length()) {
                    throw error("string not closed");
                }
                char c = text.charAt(at++);
                if (c == '"') {
                    return;
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (at >= text.length()) {
                    throw error("string not closed");
                }
                char e = text.charAt(at++);
                switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'f' -> out.append('\f');
                case '\\', '"' -> out.append(e);
                case 'x' -> {
                    if (at + 2 > text.length()) {
                        throw error("bad \\x escape");
                    }
                    try {
                        out.append((char) Integer.parseInt(text.substring(at, at + 2), 16));
                    } catch (NumberFormatException x) {
                        throw error("bad \\x escape");
                    }
                    at += 2;
                }
                default -> throw error("unknown escape \\" + e);
                }
            }
        }

        private void skipBlank() throws SwuException {
            while (at < text.length()) {
                char c = text.charAt(at);
                if (Character.isWhitespace(c)) {
                    at++;
                } else if (c == '#' || text.startsWith("//", at)) {
                    while (at < text.length() && text.charAt(at) != '\n') {
                        at++;
                    }
                } else if (text.startsWith("/*", at)) {
                    int end = text.indexOf("*/", at + 2);
                    if (end < 0) {
                        throw error("comment not closed");
                    }
                    at = end + 2;
                } else {
                    return;
                }
            }
        }

        private SwuException error(String what) {
            int line = 1;
            for (int i = 0; i < Math.min(at, text.length()); i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                }
            }
            return bad("sw-description line " + line + ": " + what);
        }
    }
}
