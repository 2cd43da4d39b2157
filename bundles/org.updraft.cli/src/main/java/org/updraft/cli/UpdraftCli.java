package org.updraft.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code bin/updraft}, the offline manufacturer tool. It runs outside Karaf, on the
 * manufacturer's own machine, so the private key never reaches the platform.
 *
 * <p>Exit status: {@value #EXIT_OK} success, {@value #EXIT_REJECTED} a manifest or image was verified and
 * rejected, {@value #EXIT_USAGE} bad usage or input (or any other failure). Every error is one line on
 * standard error starting with {@code updraft: }; {@code --debug} adds the stack trace.
 */
public final class UpdraftCli {

    public static final int EXIT_OK = 0;
    public static final int EXIT_REJECTED = 1;
    public static final int EXIT_USAGE = 2;

    static final String DEBUG = "--debug";


    private UpdraftCli() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    /**
     * Runs one command line in this JVM, as {@code bin/updraft} would.
     *
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> words = new ArrayList<>(Arrays.asList(args));
        boolean debug = removeDebug(words);
        try {
            if (words.isEmpty()) {
                err.print(overview());
                return EXIT_USAGE;
            }
            String name = words.remove(0);
            if (name.equals("help") || name.equals("--help") || name.equals("-h")) {
                if (words.isEmpty()) {
                    out.print(overview());
                    return EXIT_OK;
                }
                out.print(command(words.get(0)).usage());
                return EXIT_OK;
            }
            Command command = command(name);
            if (wantsHelp(words)) {
                out.print(command.usage());
                return EXIT_OK;
            }
            return command.run(command.spec().parse(words), out, err);
        } catch (Throwable e) {
            err.println("updraft: " + oneLine(describe(e)));
            if (debug) {
                e.printStackTrace(err);
            }
            return EXIT_USAGE;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static boolean removeDebug(List<String> words) {
        int end = words.indexOf("--");
        int at = words.indexOf(DEBUG);
        if (at >= 0 && (end < 0 || at < end)) {
            words.remove(at);
            return true;
        }
        return false;
    }

    private static boolean wantsHelp(List<String> words) {
        for (String w : words) {
            if (w.equals("--")) {
                return false;
            }
            if (w.equals("--help") || w.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    // made on demand, inside run's error handling: a class missing from an incomplete installation then
    // gives a one-line error instead of a failed class initialisation
    private static List<Command> commands() {
        return List.of(new KeygenCommand(), new SignCommand(), new VerifyCommand(), new CidCommand(),
                new McubootSignCommand(), new McubootVerifyCommand(),
                new InspectCommand(), new RotateProofCommand(), new AttestCommand(),
                new DeltaCommand(), new SwuBuildCommand(), new LorawanFragmentsCommand(),
                new LorawanKeysCommand());
    }

    private static Command command(String name) throws UsageException {
        for (Command c : commands()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new UsageException("unknown command '" + name + "' (commands: "
                + String.join(", ", commands().stream().map(Command::name).toList()) + "; see 'updraft help')");
    }

    static String overview() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: updraft <command> [options]      ('updraft <command> --help' for its options)\n\n");
        sb.append("The offline manufacturer tool: keys are made and used on this machine only.\n\n");
        sb.append("commands:\n");
        for (Command c : commands()) {
            sb.append(String.format("  %-17s %s%n", c.name(), c.summary()));
        }
        sb.append("\nexit status: 0 success, 1 verified and rejected, 2 bad usage or input\n");
        sb.append("--debug (any command) adds a stack trace to an error\n");
        return sb.toString();
    }

    /** A person's account of what went wrong; never a class name or stack trace. */
    static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return describe(u.getCause());
        }
        if (e instanceof NoSuchFileException f) {
            return f.getFile() + ": no such file or directory";
        }
        if (e instanceof AccessDeniedException f) {
            return f.getFile() + ": permission denied";
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " already exists";
        }
        if (e instanceof NotDirectoryException f) {
            return f.getFile() + ": not a directory";
        }
        if (e instanceof DirectoryNotEmptyException f) {
            return f.getFile() + ": directory not empty";
        }
        if (e instanceof FileSystemException f) {
            return (f.getFile() != null ? f.getFile() + ": " : "") + (f.getReason() != null ? f.getReason() : "file system error");
        }
        if (e instanceof LinkageError) {
            return "incomplete installation: " + e.getMessage() + " is missing or broken (reinstall updraft's lib "
                    + "directory)";
        }
        if (e instanceof OutOfMemoryError) {
            return "out of memory (give the JVM a larger heap with -Xmx)";
        }
        String message = e.getMessage();
        if (e instanceof IOException) {
            return "input/output error: " + (message != null ? message : "no details");
        }
        if (e instanceof UsageException || e instanceof IllegalArgumentException || isOurs(e)) {
            return message != null ? message : "invalid input";
        }
        return "internal error: " + (message != null ? message : "no details") + " (rerun with --debug for details)";
    }

    /** Checked exceptions of the core library carry messages written for people. */
    private static boolean isOurs(Throwable e) {
        return e.getClass().getName().startsWith("org.updraft.") && e instanceof Exception;
    }

    static String oneLine(String message) {
        return message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
