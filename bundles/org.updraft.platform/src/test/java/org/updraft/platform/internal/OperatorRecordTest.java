package org.updraft.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.store.CidOptions;
import org.updraft.api.trust.KeyStatus;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.ledger.local.internal.FileLedger;

/**
 * Every trust and release event names the operator who made the change, and what an old key signed to prove a
 * rotation still verifies although the event adds the operator; changes made on no operator's behalf are recorded
 * as before.
 */
class OperatorRecordTest {

    @TempDir
    Path dir;

    private FileLedger ledger;
    private LedgerTrustStore trust;
    private PlatformReleaseService releases;
    private final SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);

    @BeforeEach
    void start() throws Exception {
        ledger = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        trust = new LedgerTrustStore(ledger);
        releases = new PlatformReleaseService(ledger, trust);
        releases.store = new MemoryStore("local");
    }

    @AfterEach
    void stop() {
        ledger.close();
    }

    @Test
    void trustAndReleaseEventsNameTheirOperator() throws Exception {
        trust.register(vendor.did(), "acme", Set.of(), "operator:alice");
        releases.publish(manifest(vendor, 1), image(1), null, null, "operator:bob");
        SigningKey successor = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] proof = vendor.sign(TrustEvents.rotationStatement(vendor.did(), successor.did()));
        trust.rotate(vendor.did(), successor.did(), proof, "operator:carol");
        trust.revoke(successor.did(), "lost laptop", "operator:dave");

        List<LedgerEvent> events = events();
        assertEquals("operator:alice",
                ((TrustEvents.KeyRegistered) TrustEvents.decode(events.get(0).type(), events.get(0).payload())).by());
        assertEquals("operator:bob", ReleaseEvents.decode(events.get(1).payload()).by());
        LedgerEvent rotation = events.get(2);
        TrustEvents.KeyRotated rotated = (TrustEvents.KeyRotated) TrustEvents.decode(rotation.type(),
                rotation.payload());
        assertEquals("operator:carol", rotated.by());
        // the old key's signature is over the statement rebuilt from the payload, which the operator is not part of
        assertEquals(vendor.did(), rotation.actor());
        assertTrue(vendor.verificationKey().verify(
                TrustEvents.rotationStatement(rotated.did(), rotated.successor()), rotation.signature()));
        assertEquals("operator:dave",
                ((TrustEvents.KeyRevoked) TrustEvents.decode(events.get(3).type(), events.get(3).payload())).by());

        // another trust store replaying the log reads the same history
        LedgerTrustStore replayed = new LedgerTrustStore(ledger);
        assertEquals(KeyStatus.ROTATED, replayed.find(vendor.did()).orElseThrow().status());
        assertEquals(KeyStatus.REVOKED, replayed.find(successor.did()).orElseThrow().status());
    }

    @Test
    void aChangeOnNoOperatorsBehalfIsRecordedAsBefore() throws Exception {
        trust.register(vendor.did(), "acme", Set.of("thermo"));
        releases.publish(manifest(vendor, 1), image(1), null, null);

        List<LedgerEvent> events = events();
        assertFalse(CborMap.decode("registered", events.get(0).payload()).has("by"));
        assertNull(((TrustEvents.KeyRegistered) TrustEvents.decode(events.get(0).type(), events.get(0).payload()))
                .by());
        assertFalse(CborMap.decode("published", events.get(1).payload()).has("by"));
        assertNull(ReleaseEvents.decode(events.get(1).payload()).by());
    }

    private List<LedgerEvent> events() throws Exception {
        return ledger.read(0, 100).stream().map(LedgerEntry::event)
                .filter(e -> e.type().startsWith("trust.") || e.type().equals(EventTypes.RELEASE_PUBLISHED))
                .toList();
    }

    private Path image(long sequence) throws Exception {
        Path file = dir.resolve("image-" + sequence + ".bin");
        if (!Files.exists(file)) {
            byte[] image = new byte[2000];
            new Random(sequence).nextBytes(image);
            Files.write(file, image);
        }
        return file;
    }

    private byte[] manifest(SigningKey signer, long sequence) throws Exception {
        byte[] image = Files.readAllBytes(image(sequence));
        Manifest m = new Manifest("acme", "thermo", null, "2.0." + sequence, sequence, image.length,
                MessageDigest.getInstance("SHA-256").digest(image),
                UnixFsImporter.cid(new ByteArrayInputStream(image), CidOptions.DEFAULT).cid(), null, Instant.now(),
                signer.did());
        return ManifestCodec.sign(m, signer);
    }
}
