package org.updraft.core.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;

/** The one rule of what trust events do, for the platform's trust store and for devices. */
class TrustHistoryTest {

    private static final Instant T = Instant.parse("2026-12-01T00:00:00Z");

    private static TrustEvents.KeyRotated rotated(String from, String to) {
        return new TrustEvents.KeyRotated(from, to, null);
    }

    private static KeyStatus status(TrustHistory h, String did) throws Exception {
        return h.find(did).map(TrustedKey::status).orElse(null);
    }

    @Test
    void aRotationPassesTheOldKeysVendorAndClassesToItsSuccessor() throws Exception {
        TrustHistory h = new TrustHistory();
        assertTrue(h.apply(new TrustEvents.KeyRegistered("k1", "acme", Set.of("thermo"), null), T, 0));
        assertTrue(h.apply(rotated("k1", "k2"), T, 1));
        TrustedKey k2 = h.find("k2").orElseThrow();
        assertEquals("acme", k2.vendor());
        assertEquals(Set.of("thermo"), k2.deviceClasses());
        assertEquals(KeyStatus.ACTIVE, k2.status());
        TrustedKey k1 = h.find("k1").orElseThrow();
        assertEquals(KeyStatus.ROTATED, k1.status());
        assertEquals("k2", k1.successor());
        assertEquals(1, k1.ledgerIndex());
    }

    @Test
    void aRotatedOrRevokedKeyVouchesForNoOtherSuccessor() throws Exception {
        TrustHistory h = new TrustHistory();
        h.apply(new TrustEvents.KeyRegistered("k1", "acme", Set.of(), null), T, 0);
        h.apply(new TrustEvents.KeyRegistered("k9", "acme", Set.of(), null), T, 1);
        h.apply(rotated("k1", "k2"), T, 2);
        assertFalse(h.apply(rotated("k1", "evil"), T, 3), "k1 named its one successor");
        assertEquals(Optional.empty(), h.find("evil"));
        assertEquals("k2", h.find("k1").orElseThrow().successor());

        assertTrue(h.apply(new TrustEvents.KeyRevoked("k9", "leaked", null), T, 4));
        assertFalse(h.apply(rotated("k9", "evil"), T, 5), "a revoked key vouches for nothing");
        assertEquals(Optional.empty(), h.find("evil"));
        assertFalse(h.apply(new TrustEvents.KeyRevoked("k9", "again", null), T, 6), "revoked once");
        assertEquals("leaked", h.find("k9").orElseThrow().reason());
        assertFalse(h.apply(rotated("unknown", "evil"), T, 7), "an unknown key vouches for nothing");
    }

    @Test
    void eventsStandBeforeTheBaseAndACopyIsIndependent() throws Exception {
        TrustedKey provisioned = new TrustedKey("k1", "acme", Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null, null,
                0);
        TrustHistory device = new TrustHistory(did -> did.equals("k1") ? Optional.of(provisioned) : Optional.empty());
        assertFalse(device.apply(new TrustEvents.KeyRegistered("k1", "other", Set.of(), null), T, 0),
                "a provisioned key is known");
        TrustHistory before = device.copy();
        device.apply(new TrustEvents.KeyRevoked("k1", "leaked", null), T, 1);
        assertEquals(KeyStatus.REVOKED, status(device, "k1"));
        assertEquals(KeyStatus.ACTIVE, status(before, "k1"), "the copy did not change");
        device.clear();
        assertEquals(KeyStatus.ACTIVE, status(device, "k1"), "the base stands alone again");
    }
}
