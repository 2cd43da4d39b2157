package org.updraft.testing.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.testing.ForwardingLedger;

/** The node the builder makes is wired as DS wires the platform: what one component records, the others see. */
class TestPlatformTest {

    @TempDir
    Path dir;

    private final SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);

    @Test
    void aReleasePublishedOnTheNodeIsStoredAndOnTheLedger_andOutlivesARestart() throws Exception {
        String id;
        try (TestPlatform p = TestPlatform.builder(dir).start()) {
            p.trust().register(vendor.did(), "acme", Set.of());
            Release release = publish(p, 1);
            id = release.id();
            assertTrue(p.store().stat(release.cid()).isPresent(), "the image is in the node's store");
            assertEquals(EventTypes.RELEASE_PUBLISHED, p.log().get(release.ledgerIndex()).event().type());
            assertEquals(release, p.releases().find(id).orElseThrow());
        }
        try (TestPlatform again = TestPlatform.builder(dir).start()) {
            assertTrue(again.releases().find(id).isPresent(), "replayed from the log in " + dir);
        }
    }

    @Test
    void aLedgerOverTheLogIsWhatTheComponentsUse() throws Exception {
        try (TestPlatform p = TestPlatform.builder(dir).ledger(log -> new ForwardingLedger(log) {
            @Override
            public AppendReceipt append(LedgerEvent event) throws LedgerException {
                if (event.type().equals(EventTypes.RELEASE_PUBLISHED)) {
                    throw new LedgerException("disk full");
                }
                return super.append(event);
            }
        }).start()) {
            p.trust().register(vendor.did(), "acme", Set.of());
            ReleaseException refused = assertThrows(ReleaseException.class, () -> publish(p, 1));
            assertEquals("ledger-failed", refused.reason());
            assertTrue(p.releases().list().isEmpty());
        }
    }

    @Test
    void aNodeThatCannotStartLeavesNothingOpen() throws Exception {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> TestPlatform.builder(dir).deviceApi(Map.of()).start());
        assertTrue(refused.getMessage().contains("needs an update service"), refused.getMessage());
        // the log's lock is released: the same directory opens again
        try (TestPlatform p = TestPlatform.builder(dir).start()) {
            assertFalse(p.releases().find("none").isPresent());
        }
    }

    private Release publish(TestPlatform p, long sequence) throws Exception {
        Path image = dir.resolve("image-" + sequence + ".bin");
        byte[] bytes = new byte[2000];
        new Random(sequence).nextBytes(bytes);
        Files.write(image, bytes);
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest m = new Manifest("acme", "thermo", null, "1." + sequence + ".0", sequence, measured.size(),
                measured.sha256(), measured.cid(CidOptions.DEFAULT), null, Instant.now(), vendor.did());
        return p.releases().publish(ManifestCodec.sign(m, vendor), image, null, null);
    }
}
