package org.updraft.transport.lorawan.internal.session;

import java.util.Objects;

/**
 * A device taking part in a session: its DevEUI (16 lower-case hex digits, as ChirpStack names it) and, for a
 * multicast session, the group's McKey encrypted under this device's McKEKey (16 bytes), which TS005's
 * McGroupSetupReq carries; null for unicast.
 */
public record Participant(String devEui, byte[] mcKeyEncrypted) {

    public Participant {
        Objects.requireNonNull(devEui, "devEui");
        if (!devEui.matches("[0-9a-f]{16}")) {
            throw new IllegalArgumentException("a DevEUI is 16 lower-case hex digits, not " + devEui);
        }
        if (mcKeyEncrypted != null) {
            if (mcKeyEncrypted.length != 16) {
                throw new IllegalArgumentException("McKey_encrypted is 16 bytes, not " + mcKeyEncrypted.length);
            }
            mcKeyEncrypted = mcKeyEncrypted.clone();
        }
    }

    @Override
    public byte[] mcKeyEncrypted() {
        return mcKeyEncrypted == null ? null : mcKeyEncrypted.clone();
    }

    // key material stays out of logs, even encrypted
    @Override
    public String toString() {
        return "Participant[" + devEui + "]";
    }
}
