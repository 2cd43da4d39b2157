package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.channel.ChannelException;
import org.updraft.api.channel.ChannelPointer;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.api.trust.TrustStore;
import org.updraft.core.event.ChannelEvents;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.testing.ForwardingLedger;
import org.updraft.testing.platform.TestPlatform;

/**
 * Release channels on a real js-ipfs node, offline as TESTENV.md runs it (it keeps IPNS records in its own
 * datastore, and refuses {@code nocache} on resolve), over the real local ledger, trust store and release index.
 * Each test uses its own device class, since IPNS keys live on the one node.
 */
class IpnsReleaseChannelsTest {

    private static final String VENDOR = "acme";

    @TempDir
    static Path nodeDir;
    private static IpfsDaemon node;
    private static KuboRpc rpc;
    private static IpfsFirmwareStore store;

    @TempDir
    Path dir;
    private TestPlatform platform;
    private FaultyLedger ledger;
    private TrustStore trust;
    private ReleaseService releases;
    private IpnsReleaseChannels channels;
    private SigningKey vendorKey;

    @BeforeAll
    static void startNode() throws Exception {
        node = IpfsDaemon.start(nodeDir);
        rpc = RemotePinsTest.rpc(node.api());
        store = new IpfsFirmwareStore(rpc, CidOptions.DEFAULT, true);
    }

    @AfterAll
    static void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @BeforeEach
    void platform() throws Exception {
        platform = TestPlatform.builder(dir).ledger(FaultyLedger::new).start();
        ledger = (FaultyLedger) platform.ledger();
        trust = platform.trust();
        releases = platform.releases();
        vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
        trust.register(vendorKey.did(), VENDOR, Set.of());
        channels = new IpnsReleaseChannels(rpc, store, ledger, trust, releases, "24h", true);
    }

    @AfterEach
    void closeLedger() throws Exception {
        platform.close();
    }

    @Test
    void aPublishedChannelResolvesToTheReleaseManifestOnTheNodeAndIsOnTheLedger() throws Exception {
        Release r1 = release("cam-a", 1);
        long before = ledger.size();
        ChannelPointer p = channels.publish(VENDOR, "cam-a", "stable", r1.id(), false, "operator:alice");

        assertEquals(r1.id(), p.releaseId());
        assertEquals(1, p.sequence());
        assertTrue(p.recorded());
        assertEquals(before, p.ledgerIndex(), "one event, appended at the end");
        assertEquals(before + 1, ledger.size());
        try (InputStream in = rpc.cat(p.manifest(), 0, -1)) {
            assertArrayEquals(r1.manifest(), in.readAllBytes(), "the manifest CID holds the signed manifest's bytes");
        }
        assertTrue(rpc.isPinned(p.manifest()), "the manifest is pinned on the node");
        assertEquals("/ipfs/" + p.manifest(), rpc.nameResolve(p.name()), "the IPNS name points at the manifest");

        LedgerEvent event = ledger.get(p.ledgerIndex()).event();
        assertEquals(ChannelEvents.TYPE, event.type());
        assertEquals(ledger.logKey(), event.actor());
        assertEquals(new ChannelEvents.Published(VENDOR, "cam-a", "stable", r1.id(), 1, p.manifest(), p.name(), false,
                "operator:alice"), ChannelEvents.decodePublished(event.payload()));

        ChannelPointer resolved = channels.resolve(VENDOR, "cam-a", "stable");
        assertEquals(p, resolved);

        Release r2 = release("cam-a", 2);
        ChannelPointer moved = channels.publish(VENDOR, "cam-a", "stable", r2.id(), false, "operator:alice");
        assertEquals(p.name(), moved.name(), "the channel keeps its name");
        assertEquals(r2.id(), channels.resolve(VENDOR, "cam-a", "stable").releaseId());
        assertEquals(List.of(moved), channels.list());

        // another node (or a restart) replays the same channels from the ledger
        IpnsReleaseChannels again = new IpnsReleaseChannels(rpc, store, ledger, trust, releases, "24h", true);
        assertEquals(List.of(moved), again.list());
        assertEquals(moved, again.resolve(VENDOR, "cam-a", "stable"));
    }

    @Test
    void aChannelDoesNotMoveBackwardsUnlessForcedAndAForcedMoveIsRecordedAsSuch() throws Exception {
        Release r1 = release("cam-b", 1);
        Release r2 = release("cam-b", 2);
        ChannelPointer at2 = channels.publish(VENDOR, "cam-b", "beta", r2.id(), false, "operator:alice");
        long size = ledger.size();

        ChannelException refused = assertThrows(ChannelException.class,
                () -> channels.publish(VENDOR, "cam-b", "beta", r1.id(), false, "operator:alice"));
        assertEquals("backwards", refused.reason());
        assertTrue(refused.getMessage().contains("--force"), refused.getMessage());
        assertEquals(size, ledger.size(), "nothing recorded");
        assertEquals(r2.id(), channels.resolve(VENDOR, "cam-b", "beta").releaseId(), "the name did not move");

        ChannelPointer back = channels.publish(VENDOR, "cam-b", "beta", r1.id(), true, "operator:bob");
        assertEquals(r1.id(), channels.resolve(VENDOR, "cam-b", "beta").releaseId());
        ChannelEvents.Published event = ChannelEvents.decodePublished(ledger.get(back.ledgerIndex()).event().payload());
        assertTrue(event.forced());
        assertEquals("operator:bob", event.by());
        assertNotEquals(at2.manifest(), back.manifest());

        // publishing the release the channel already points at moves nothing and records nothing
        long after = ledger.size();
        assertEquals(back, channels.publish(VENDOR, "cam-b", "beta", r1.id(), false, "operator:bob"));
        assertEquals(after, ledger.size());
    }

    @Test
    void whatIsNotAPublishedReleaseOfTheChannelIsRefusedWithOneLineAndNothingRecorded() throws Exception {
        Release other = release("cam-other", 1);
        long size = ledger.size();
        assertReason("unknown-release", () -> channels.publish(VENDOR, "cam-c", "stable", "acme/cam-c/9", false, "op"));
        assertReason("wrong-class", () -> channels.publish(VENDOR, "cam-c", "stable", other.id(), false, "op"));
        assertReason("invalid-name", () -> channels.publish(VENDOR, "cam-c", "Stable!", other.id(), false, "op"));
        assertReason("invalid-name", () -> channels.publish("ac/me", "cam-c", "stable", other.id(), false, "op"));
        assertReason("unknown-channel", () -> channels.resolve(VENDOR, "cam-c", "stable"));
        assertEquals(size, ledger.size());
    }

    @Test
    void resolveRefusesANameMovedOutsideThePlatformToAnythingButAPublishedRelease() throws Exception {
        Release r1 = release("cam-d", 1);
        Release r2 = release("cam-d", 2);
        ChannelPointer p = channels.publish(VENDOR, "cam-d", "stable", r2.id(), false, "op");
        String key = IpnsReleaseChannels.keyName(VENDOR, "cam-d", "stable");

        // a manifest signed by a key the platform does not trust
        SigningKey stranger = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] forged = ManifestCodec.sign(manifest("cam-d", 3, stranger), stranger);
        moveOutside(key, forged);
        assertReason("unverified", () -> channels.resolve(VENDOR, "cam-d", "stable"));

        // a validly signed manifest that was never published
        moveOutside(key, ManifestCodec.sign(manifest("cam-d", 4, vendorKey), vendorKey));
        ChannelException unpublished = assertReason("unverified", () -> channels.resolve(VENDOR, "cam-d", "stable"));
        assertTrue(unpublished.getMessage().contains("not on the ledger"), unpublished.getMessage());

        // something that is not a manifest at all
        moveOutside(key, "not a manifest".getBytes());
        assertReason("unverified", () -> channels.resolve(VENDOR, "cam-d", "stable"));

        // a published release, but not where the ledger says the channel is: served, flagged as not recorded
        moveOutside(key, r1.manifest());
        ChannelPointer elsewhere = channels.resolve(VENDOR, "cam-d", "stable");
        assertEquals(r1.id(), elsewhere.releaseId());
        assertFalse(elsewhere.recorded());
        assertNull(elsewhere.moved());

        channels.publish(VENDOR, "cam-d", "stable", r2.id(), false, "op");
        assertEquals(p.manifest(), channels.resolve(VENDOR, "cam-d", "stable").manifest());
    }

    @Test
    void aRevokedSignersReleaseIsNeitherPublishedNorResolved() throws Exception {
        Release r1 = release("cam-e", 1);
        channels.publish(VENDOR, "cam-e", "stable", r1.id(), false, "op");
        trust.revoke(vendorKey.did(), "key leaked");
        ChannelException resolve = assertReason("unverified", () -> channels.resolve(VENDOR, "cam-e", "stable"));
        assertTrue(resolve.getMessage().contains("revoked"), resolve.getMessage());
        assertReason("unverified", () -> channels.publish(VENDOR, "cam-e", "canary", r1.id(), false, "op"));
    }

    @Test
    void whenTheLedgerFailsTheNameIsMovedBackAndNothingIsRecorded() throws Exception {
        Release r1 = release("cam-f", 1);
        Release r2 = release("cam-f", 2);
        ChannelPointer at1 = channels.publish(VENDOR, "cam-f", "stable", r1.id(), false, "op");
        long size = ledger.size();

        ledger.refuseAppends = true;
        ChannelException failed = assertReason("ledger-failed",
                () -> channels.publish(VENDOR, "cam-f", "stable", r2.id(), false, "op"));
        assertTrue(failed.getMessage().contains("moved back to release " + r1.id()), failed.getMessage());
        ledger.refuseAppends = false;

        assertEquals(size, ledger.size(), "no record of a move that did not happen");
        assertEquals(at1, channels.resolve(VENDOR, "cam-f", "stable"), "the name points where the ledger says");
    }

    private static ChannelException assertReason(String reason, org.junit.jupiter.api.function.Executable call) {
        ChannelException e = assertThrows(ChannelException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    /** Points the channel's IPNS name at {@code bytes} as someone with the node's RPC API could. */
    private static void moveOutside(String key, byte[] bytes) throws Exception {
        Cid cid = store.put(new ByteArrayInputStream(bytes)).cid();
        rpc.namePublish(key, "/ipfs/" + cid, "1h", true);
    }

    private Manifest manifest(String deviceClass, long sequence, SigningKey signer) throws Exception {
        byte[] image = new byte[1024];
        new Random(sequence * 31 + deviceClass.hashCode()).nextBytes(image);
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(image);
        return new Manifest(VENDOR, deviceClass, null, "1.0." + sequence, sequence, image.length, sha, Cid.v0(sha), null,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), signer.did());
    }

    /** A release on the ledger, as core's release service records one. */
    private Release release(String deviceClass, long sequence) throws Exception {
        Manifest m = manifest(deviceClass, sequence, vendorKey);
        byte[] signed = ManifestCodec.sign(m, vendorKey);
        ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.now(), vendorKey.did(),
                ReleaseEvents.published(ManifestCodec.parse(signed)), null));
        return releases.find(m.releaseId()).orElseThrow();
    }

    /** The real ledger, with appends that can be made to fail as a full disk or a lost chain would. */
    static final class FaultyLedger extends ForwardingLedger {
        volatile boolean refuseAppends;

        FaultyLedger(Ledger real) {
            super(real);
        }

        @Override
        public AppendReceipt append(LedgerEvent event) throws LedgerException {
            if (refuseAppends) {
                throw new LedgerException("disk full");
            }
            return super.append(event);
        }
    }
}
