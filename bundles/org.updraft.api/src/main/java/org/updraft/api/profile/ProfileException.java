package org.updraft.api.profile;

/**
 * A device profile refused an image. {@link #reason()} is a stable, kebab-case code for scripts and logs (for
 * example {@code too-large}, {@code invalid-hash}, {@code no-signature}, {@code no-configuration}); the message
 * says it to a person in one line that starts with the profile's id, e.g.
 * {@code mcuboot: image 0x21000 bytes larger than slot 0x20000 minus trailer 0x630}.
 */
public class ProfileException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public ProfileException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ProfileException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
