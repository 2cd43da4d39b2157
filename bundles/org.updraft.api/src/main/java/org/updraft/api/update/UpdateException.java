package org.updraft.api.update;

/** A device request was refused; transports map the code to their own (CoAP 4.xx / 5.xx) and send the message. */
public class UpdateException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * {@code unknown-device}, {@code malformed} (payload cannot be decoded), {@code bad-signature},
     * {@code stale} (a report older than one already recorded, or an enrollment not newer than the last one
     * recorded for its device id), {@code wrong-device} (a report about another
     * device or release than offered), {@code exists} (enrolling an id taken by another key),
     * {@code unavailable} (ledger or registry down; the device should retry).
     */
    private final String code;

    public UpdateException(String code, String message) {
        super(message);
        this.code = code;
    }

    public UpdateException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
