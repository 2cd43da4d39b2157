package org.updraft.transport.lorawan.internal.session;

import java.util.Objects;

/**
 * A device taking part in a session: its DevEUI (16 lower-case hex digits, as ChirpStack names it) and, for a
 * multicast session, the group's McKey encrypted under this device's McKEKey (16 bytes), which TS005's
 * McGroupSetupReq carries; null for unicast.
 *
 * <p>For a TS004 v2.0.0 session also the device's 16-byte DataBlockIntKey (derived from its root key, see
 * {@code DataBlockMic.dataBlockIntKey}), under which the session computes the block's MIC for this device, and the
 * SessionCnt the session's setup gives it. A v2.0.0 device refuses a SessionCnt not greater than the last one it
 * accepted, so whoever builds participants must keep each device's SessionCnt increasing from session to session
 * (and persist it: a repeated one gets the session refused). Both are unused in v1.0.0: null and 0.
 */
public record Participant(String devEui, byte[] mcKeyEncrypted, byte[] dataBlockIntKey, int sessionCnt) {

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
        if (dataBlockIntKey != null) {
            if (dataBlockIntKey.length != 16) {
                throw new IllegalArgumentException("DataBlockIntKey is 16 bytes, not " + dataBlockIntKey.length);
            }
            dataBlockIntKey = dataBlockIntKey.clone();
        }
        if (sessionCnt < 0 || sessionCnt > 0xFFFF) {
            throw new IllegalArgumentException("SessionCnt is 16 bits, not " + sessionCnt);
        }
    }

    /** A participant of a TS004 v1.0.0 session. */
    public Participant(String devEui, byte[] mcKeyEncrypted) {
        this(devEui, mcKeyEncrypted, null, 0);
    }

    /** This participant in a TS004 v2.0.0 session: its DataBlockIntKey and this session's SessionCnt for it. */
    public Participant withBlockIntegrity(byte[] key, int counter) {
        return new Participant(devEui, mcKeyEncrypted, Objects.requireNonNull(key, "dataBlockIntKey"), counter);
    }

    @Override
    public byte[] mcKeyEncrypted() {
        return mcKeyEncrypted == null ? null : mcKeyEncrypted.clone();
    }

    @Override
    public byte[] dataBlockIntKey() {
        return dataBlockIntKey == null ? null : dataBlockIntKey.clone();
    }

    // key material stays out of logs, even encrypted
    @Override
    public String toString() {
        return "Participant[" + devEui + (dataBlockIntKey == null ? "" : ", SessionCnt " + sessionCnt) + "]";
    }
}
