package org.updraft.api.device;

/** The registry refused a request or could not reach its database. The message says which, in one line. */
public class RegistryException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Machine-readable reason: {@code exists}, {@code unknown-device}, {@code invalid}, {@code unavailable}. */
    private final String code;

    public RegistryException(String code, String message) {
        super(message);
        this.code = code;
    }

    public RegistryException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
