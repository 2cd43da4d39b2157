package org.updraft.api.rollout;

/** A rollout request was refused; the code is machine-readable, the message a one-line reason. */
public class RolloutException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * {@code unknown-rollout}, {@code unknown-release}, {@code invalid} (a spec that breaks a rule),
     * {@code bad-state} (e.g. resuming a completed rollout), {@code conflict} (another active rollout of the
     * same device class), {@code ledger-failed}, {@code registry-failed}.
     */
    private final String code;

    public RolloutException(String code, String message) {
        super(message);
        this.code = code;
    }

    public RolloutException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
