package org.updraft.cli;

/**
 * The command line or its input is wrong: an unknown option, a missing file, a corrupt key, a malformed
 * manifest. The message is one line that says what to fix; the tool exits with {@link UpdraftCli#EXIT_USAGE}.
 */
final class UsageException extends Exception {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
