package org.updraft.transport.lorawan.internal.session;

/**
 * How one device of a session stands: still {@code ACTIVE}, {@code DONE} (it reported the block complete) or
 * {@code FAILED} with {@code reason}; with what its last FragSessionStatusAns said (-1 before one arrived).
 */
public record DeviceResult(String devEui, State state, String reason, int fragmentsReceived, int missing) {

    public enum State {
        ACTIVE, DONE, FAILED
    }

    @Override
    public String toString() {
        return devEui + " " + state.name().toLowerCase() + (reason == null ? "" : ": " + reason);
    }
}
