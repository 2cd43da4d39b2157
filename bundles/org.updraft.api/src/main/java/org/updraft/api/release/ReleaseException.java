package org.updraft.api.release;

/**
 * A release was refused. {@link #reason()} is a stable code (for example {@code untrusted-signer},
 * {@code digest-mismatch}); the message explains it to a person.
 */
public class ReleaseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public ReleaseException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ReleaseException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
