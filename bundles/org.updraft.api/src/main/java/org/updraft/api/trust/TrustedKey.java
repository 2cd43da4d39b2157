package org.updraft.api.trust;

import java.time.Instant;
import java.util.Set;

/**
 * A manufacturer key and what it may sign.
 *
 * @param did the key as did:key
 * @param vendor the vendor whose releases it signs
 * @param deviceClasses the device classes it signs for; empty means all of the vendor's
 * @param status active, rotated or revoked
 * @param changed when the status last changed
 * @param successor the DID that replaced it, when rotated
 * @param reason why it was revoked, when revoked
 * @param ledgerIndex the ledger event of the last change
 */
public record TrustedKey(String did, String vendor, Set<String> deviceClasses, KeyStatus status, Instant changed,
        String successor, String reason, long ledgerIndex) {

    public TrustedKey {
        deviceClasses = Set.copyOf(deviceClasses);
    }

    /** Whether this key may sign for {@code deviceClass}, whatever its status. */
    public boolean covers(String deviceClass) {
        return deviceClasses.isEmpty() || deviceClasses.contains(deviceClass);
    }
}
