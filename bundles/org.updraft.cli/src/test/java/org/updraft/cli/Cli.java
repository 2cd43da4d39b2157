package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs {@code updraft} in this JVM and keeps what it printed. */
final class Cli {

    record Result(int status, String out, String err) {

        /** Asserts success and returns standard output. */
        String ok() {
            assertEquals(UpdraftCli.EXIT_OK, status, () -> "expected success, got " + status + "; stderr: " + err);
            assertEquals("", err, "nothing on stderr on success");
            return out;
        }

        /** Asserts exit 2 with one clean line on stderr and nothing on stdout; returns that line. */
        String usageError() {
            assertEquals(UpdraftCli.EXIT_USAGE, status, () -> "expected exit 2, got " + status + "; out: " + out
                    + "; err: " + err);
            return oneCleanLine();
        }

        /** Asserts exit 1 ("verified and rejected") with its one line; returns the line. */
        String rejected(String code) {
            assertEquals(UpdraftCli.EXIT_REJECTED, status, () -> "expected exit 1, got " + status + "; out: " + out
                    + "; err: " + err);
            String line = oneCleanLine();
            assertTrue(line.startsWith("updraft: rejected (" + code + "): "), line);
            return line;
        }

        private String oneCleanLine() {
            assertEquals("", out, "nothing on stdout on failure");
            assertTrue(err.endsWith("\n"), err);
            String line = err.substring(0, err.length() - 1);
            assertFalse(line.contains("\n") || line.contains("\r"), () -> "more than one line: " + err);
            assertTrue(line.startsWith("updraft: "), line);
            assertFalse(line.contains("Exception"), line);
            assertFalse(line.contains("at org."), line);
            assertFalse(line.contains("at java."), line);
            return line;
        }
    }

    private Cli() {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = UpdraftCli.run(args, o, e);
        }
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
