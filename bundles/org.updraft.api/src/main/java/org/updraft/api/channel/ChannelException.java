package org.updraft.api.channel;

/**
 * A channel request was refused or failed. {@link #reason()} is a stable code, the message a one-line
 * explanation for a person:
 * <ul>
 * <li>{@code invalid-name}: a vendor, device class or channel name breaks its rule;</li>
 * <li>{@code unknown-release}: no release with that id is on the ledger;</li>
 * <li>{@code wrong-class}: the release is of another vendor or device class than the channel;</li>
 * <li>{@code backwards}: the release's sequence is lower than the one the channel points at (publish with
 * force to move it back on purpose);</li>
 * <li>{@code unknown-channel}: the channel was never published;</li>
 * <li>{@code unverified}: what the channel's name points at is not a valid, trusted, published release
 * manifest of that vendor and class;</li>
 * <li>{@code node-failed}: the naming or storage node failed or cannot be reached;</li>
 * <li>{@code ledger-failed}: the ledger could not be read or did not record the move.</li>
 * </ul>
 */
public class ChannelException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public ChannelException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ChannelException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** The stable code of the failure, one of those listed on the class. */
    public String reason() {
        return reason;
    }
}
