package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.trust.KeyStatus;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.event.TrustHistory;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.update.AnswerStatement;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.TrustedCheckpoint;

/** One device agent against the real CoAP transport over loopback UDP. */
class DeviceAgentTest {

    private static final List<DeviceState> HAPPY = List.of(DeviceState.DOWNLOADING, DeviceState.DOWNLOADED,
            DeviceState.VERIFIED, DeviceState.INSTALLED);

    @TempDir
    Path dir;

    private OneReleaseUpdates platform;
    private CoapLink link;

    private void start(int imageSize, boolean autoRegister, CoapLink.Builder linkSettings) throws Exception {
        platform = new OneReleaseUpdates(dir, imageSize, autoRegister);
        link = (linkSettings != null ? linkSettings : CoapLink.builder(platform.address())
                .ackTimeout(Duration.ofMillis(200))).open();
    }

    private SimulatedDevice device(String id) {
        Provisioning p = new Provisioning(id, SigningKey.generate(KeyAlgorithm.P256), OneReleaseUpdates.VENDOR,
                OneReleaseUpdates.CLASS, null, "eu-west", Set.of("beta"), platform.ledger.logKey(), platform.trust(),
                platform.statementKey());
        return new SimulatedDevice(p, new AbFlash("1.0.0", 1, new byte[] {1, 2, 3}), 0);
    }

    private SimulatedDevice registered(String id) {
        SimulatedDevice device = device(id);
        platform.register(device);
        return device;
    }

    private static UpdateOutcome await(DeviceAgent agent) throws Exception {
        return agent.update().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (link != null) {
            link.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void aDeviceInstallsBootsConfirmsAndReportsEachStep() throws Exception {
        start(20_000, false, null);
        SimulatedDevice device = registered("dev-1");
        DeviceAgent agent = DeviceAgent.builder(device, link).blockSize(256).build();

        UpdateOutcome outcome = await(agent);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals("2.0.0", outcome.version());
        assertEquals(2, outcome.sequence());
        assertEquals(OneReleaseUpdates.ANCHOR, outcome.anchor(), "the offer's chain anchor, kept for auditors");
        AbFlash flash = (AbFlash) device.flash();
        assertEquals(AbFlash.Slot.B, flash.activeSlot());
        assertArrayEquals(platform.image, flash.running().bytes());
        assertEquals(false, flash.isOnTrial());
        assertEquals(HAPPY, platform.statesReportedBy("dev-1"));
        DeviceReport installed = platform.reportsOf("dev-1").get(3);
        assertEquals("2.0.0", installed.installedVersion());
        assertEquals(2, installed.installedSequence());
        assertEquals(OneReleaseUpdates.ROLLOUT, installed.rolloutId());
        // the counter lives in the device's memory and grew with every report
        assertEquals(4, device.reportCounter());
        assertEquals(List.of(1L, 2L, 3L, 4L), platform.reportsOf("dev-1").stream().map(DeviceReport::counter)
                .toList());
        // 256-byte blocks: 79 of them, each fetched once
        assertEquals(20_000, outcome.bytesDownloaded());
        assertEquals(79, outcome.blockRequests());
    }

    @Test
    void aDownloadResumesAtTheBlockWhereDatagramsWereLost() throws Exception {
        // a bad link: a fifth of the datagrams lost each way, and CoAP gives up an exchange after one resend
        start(16_000, false, null);
        link.close();
        link = CoapLink.builder(platform.address()).lossShare(0.2).seed(3).ackTimeout(Duration.ofMillis(40))
                .maxRetransmit(1).open();
        SimulatedDevice device = registered("dev-lossy");
        DeviceAgent agent = DeviceAgent.builder(device, link).blockSize(64).retryDelay(Duration.ofMillis(10))
                .pollInterval(Duration.ofMillis(100))
                .maxBlockFailures(50).build();

        UpdateOutcome outcome = await(agent);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertArrayEquals(platform.image, device.flash().running().bytes());
        assertTrue(link.datagramsDropped() > 0);
        assertTrue(outcome.blockRetries() > 0, "with this loss some exchanges must have been given up");
        // every repeated request asked for the block that was missing: never a restart from zero
        assertEquals(250 + outcome.blockRetries(), outcome.blockRequests(), outcome.toString());
        assertEquals(16_000, outcome.bytesDownloaded());
        assertEquals(HAPPY, platform.statesReportedBy("dev-lossy"));
        assertEquals(0, outcome.reportsUndelivered());
    }

    @Test
    void aDeviceThatGoesOfflineMidDownloadComesBackAndFinishes() throws Exception {
        start(10_000, false, null);
        SimulatedDevice device = registered("dev-offline");
        DeviceAgent agent = DeviceAgent.builder(device, link).blockSize(512)
                .faults(AgentFaults.NONE.withOfflineSpell(7, Duration.ofMillis(500))).build();

        long started = System.nanoTime();
        UpdateOutcome outcome = await(agent);

        assertEquals(DeviceState.INSTALLED, outcome.state());
        assertTrue(System.nanoTime() - started >= Duration.ofMillis(500).toNanos());
        assertEquals(10_000, outcome.bytesDownloaded());
        assertEquals(20, outcome.blockRequests());
    }

    @Test
    void aValidlySignedManifestWithoutAValidInclusionProofIsRefusedAndNothingIsDownloaded() throws Exception {
        start(8_000, false, null);
        for (OneReleaseUpdates.Tampering tampering : List.of(OneReleaseUpdates.Tampering.ALTERED_PATH,
                OneReleaseUpdates.Tampering.NOT_ON_LEDGER)) {
            platform.tampering = tampering;
            String id = "dev-" + tampering.name().toLowerCase().replace('_', '-');
            SimulatedDevice device = registered(id);

            UpdateOutcome outcome = await(DeviceAgent.builder(device, link).build());

            assertEquals(DeviceState.FAILED, outcome.state(), tampering.name());
            assertEquals("bad-proof", outcome.reason(), tampering.name());
            assertEquals(0, outcome.bytesDownloaded());
            assertEquals("1.0.0", device.flash().running().version());
            assertEquals(AbFlash.Slot.A, ((AbFlash) device.flash()).activeSlot());
            assertNull(((AbFlash) device.flash()).image(AbFlash.Slot.B));
            List<DeviceReport> reports = platform.reportsOf(id);
            assertEquals(1, reports.size());
            assertEquals(DeviceState.FAILED, reports.get(0).state());
            assertEquals("bad-proof", reports.get(0).reason());
            assertEquals(1, reports.get(0).installedSequence());
        }
        assertEquals(0, platform.bytesServed.get(), "a refused release is never downloaded");
    }

    @Test
    void anotherVendorsReleaseIsRefusedThoughItsSignerIsTrustedAndNothingIsDownloaded() throws Exception {
        // a gateway whose trust anchors hold acme's key too (it relays for acme's sensors), but which is globex's:
        // acme's release, valid and on the ledger, is replayed to it; only the vendor check refuses it
        start(8_000, false, null);
        Provisioning p = new Provisioning("dev-globex", SigningKey.generate(KeyAlgorithm.P256), "globex",
                OneReleaseUpdates.CLASS, null, "eu-west", Set.of("beta"), platform.ledger.logKey(), platform.trust());
        SimulatedDevice device = new SimulatedDevice(p, new AbFlash("1.0.0", 1, new byte[] {1, 2, 3}), 0);
        platform.register(device);

        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).build());

        assertEquals(DeviceState.FAILED, outcome.state(), outcome.toString());
        assertEquals("wrong-vendor", outcome.reason());
        assertEquals(0, outcome.bytesDownloaded());
        assertEquals("1.0.0", device.flash().running().version());
        assertNull(((AbFlash) device.flash()).image(AbFlash.Slot.B));
        assertEquals(List.of(DeviceState.FAILED), platform.statesReportedBy("dev-globex"));
        assertEquals(0, platform.bytesServed.get(), "a refused release is never downloaded");
    }

    @Test
    void aDeviceProvisionedWithTheOldKeyFollowsItsSignedRotationAndKeepsIt() throws Exception {
        start(4_000, false, null);
        SigningKey older = SigningKey.generate(KeyAlgorithm.ED25519);
        platform.rotatedFrom(older);
        Provisioning p = new Provisioning("dev-old-key", SigningKey.generate(KeyAlgorithm.P256),
                OneReleaseUpdates.VENDOR, OneReleaseUpdates.CLASS, null, "eu-west", Set.of("beta"),
                platform.ledger.logKey(), OneReleaseUpdates.trusting(older), platform.statementKey());
        SimulatedDevice device = new SimulatedDevice(p, new AbFlash("1.0.0", 1, new byte[] {1, 2, 3}), 0);
        platform.register(device);

        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).build());

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(KeyStatus.ROTATED, device.trust().find(older.did()).orElseThrow().status());
        assertEquals(KeyStatus.ACTIVE, device.trust().find(platform.manufacturer.did()).orElseThrow().status(),
                "the device keeps the successor it learned");

        // the same device fresh from the factory, shown the offer without the rotation: the signer is a stranger
        platform.trustChanges.clear();
        SimulatedDevice fresh = new SimulatedDevice(new Provisioning("dev-old-key-2", SigningKey.generate(
                KeyAlgorithm.P256), OneReleaseUpdates.VENDOR, OneReleaseUpdates.CLASS, null, "eu-west", Set.of("beta"),
                platform.ledger.logKey(), OneReleaseUpdates.trusting(older), platform.statementKey()), new AbFlash(
                "1.0.0", 1, new byte[] {1, 2, 3}), 0);
        platform.register(fresh);
        long served = platform.bytesServed.get();
        UpdateOutcome refused = await(DeviceAgent.builder(fresh, link).build());
        assertEquals(DeviceState.FAILED, refused.state(), refused.toString());
        assertEquals("untrusted-signer", refused.reason());
        assertEquals(served, platform.bytesServed.get(), "a refused release is never downloaded");
    }

    @Test
    void aReleaseOfASignerTheDeviceLearnedWasRevokedIsRefusedAndNothingIsDownloaded() throws Exception {
        start(4_000, false, null);
        SimulatedDevice device = registered("dev-knows");
        // an earlier offer carried the revocation (TrustChangesInOffersTest): the device kept it
        TrustHistory kept = device.trust();
        kept.apply(new TrustEvents.KeyRevoked(platform.manufacturer.did(), "leaked", null), Instant.now(), 3);
        device.keepTrust(kept);

        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).build());

        assertEquals(DeviceState.FAILED, outcome.state(), outcome.toString());
        assertEquals("revoked-signer", outcome.reason());
        assertEquals(0, platform.bytesServed.get(), "a refused release is never downloaded");
    }

    @Test
    void aDeviceThatWentTooLongWithoutAVouchedForAnswerReportsStaleAtItsNextContact() throws Exception {
        start(4_000, false, null);
        // its last vouched-for answer was two days ago: answers were withheld (or it was cut off) since
        SimulatedDevice frozen = registered("dev-frozen");
        frozen.vouched(Instant.now().minus(Duration.ofDays(2)));
        DeviceAgent agent = DeviceAgent.builder(frozen, link).build();
        assertEquals(DeviceState.INSTALLED, await(agent).state());
        assertEquals(1, agent.staleReports());
        DeviceReport stale = platform.reportsOf("dev-frozen").stream().filter(r -> r.state() == DeviceState.STALE)
                .findFirst().orElseThrow(() -> new AssertionError(platform.reportsOf("dev-frozen").toString()));
        assertNull(stale.rolloutId(), "about no rollout");
        assertEquals(OneReleaseUpdates.VENDOR + "/" + OneReleaseUpdates.CLASS + "/1", stale.releaseId(),
                "the release it ran");
        assertTrue(stale.reason().startsWith("no answer the platform vouched for in 1728"), stale.reason());
        assertTrue(Duration.between(frozen.lastVouched(), Instant.now()).toMinutes() < 1, "counting again from now");

        // within its limit: nothing to say
        SimulatedDevice recent = registered("dev-recent");
        recent.vouched(Instant.now().minus(Duration.ofHours(23)));
        DeviceAgent quiet = DeviceAgent.builder(recent, link).build();
        assertEquals(DeviceState.INSTALLED, await(quiet).state());
        assertEquals(0, quiet.staleReports());
        assertEquals(HAPPY, platform.statesReportedBy("dev-recent"));
    }

    @Test
    void aDeviceRemembersTheLogItVerifiedAndFollowsItWithConsistencyProofs() throws Exception {
        start(4_000, false, null);
        // its first offer: trusted as it is, nothing to prove yet
        SimulatedDevice first = registered("dev-first");
        assertEquals(DeviceState.INSTALLED, await(DeviceAgent.builder(first, link).build()).state());
        long size = platform.ledger.size();
        assertEquals(size, first.trustedCheckpoint().treeSize(), "the offer's checkpoint is remembered");
        assertEquals(0, platform.consistencyRequests.get());

        // a device that verified a checkpoint of the first 4 events before: it asks how the log grew since
        SimulatedDevice device = registered("dev-older");
        device.trustCheckpoint(new TrustedCheckpoint(4, platform.rootAt(4)));
        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).build());
        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(1, platform.consistencyRequests.get());
        assertEquals(new TrustedCheckpoint(platform.ledger.size(), platform.rootAt(platform.ledger.size())),
                device.trustedCheckpoint(), "the device now remembers the larger checkpoint");
    }

    @Test
    void aDeviceShownAForkedLogRefusesTheOfferAsLogForkAndDownloadsNothing() throws Exception {
        // the device verified a checkpoint of 4 events whose history is not this log's: whoever holds the log key
        // shows it one log now and showed it another before. The offer is signed, proven and for this device, yet
        // no consistency proof can join the two
        start(8_000, false, null);
        SimulatedDevice device = registered("dev-forked");
        List<byte[]> otherHistory = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            otherHistory.add(MerkleHash.leafHash(new byte[] {(byte) i}));
        }
        TrustedCheckpoint before = new TrustedCheckpoint(4, MemoryMerkleTree.of(otherHistory).rootHash());
        device.trustCheckpoint(before);

        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).build());

        assertEquals(DeviceState.FAILED, outcome.state(), outcome.toString());
        assertEquals("log-fork", outcome.reason());
        assertEquals(1, platform.consistencyRequests.get());
        assertEquals(0, outcome.bytesDownloaded());
        assertEquals(0, platform.bytesServed.get(), "nothing of a forked log's release is downloaded");
        assertEquals("1.0.0", device.flash().running().version());
        assertEquals(List.of(DeviceState.FAILED), platform.statesReportedBy("dev-forked"));
        assertEquals(before, device.trustedCheckpoint(), "the device keeps the checkpoint it trusted");

        // a device that saw a larger log than this platform now has (a log rolled back): the platform cannot prove
        // the way from its tree to the device's, and says so
        SimulatedDevice ahead = registered("dev-ahead");
        ahead.trustCheckpoint(new TrustedCheckpoint(1_000, MerkleHash.leafHash(new byte[] {9})));
        UpdateOutcome refused = await(DeviceAgent.builder(ahead, link).build());
        assertEquals(DeviceState.FAILED, refused.state(), refused.toString());
        assertEquals("log-fork", refused.reason());
        assertEquals(0, platform.bytesServed.get());
    }

    @Test
    void anAnswerThePlatformDidNotVouchForIsIgnoredAndNothingIsDownloaded() throws Exception {
        start(4_000, false, null);
        SigningKey impostor = SigningKey.generate(KeyAlgorithm.ED25519);
        // what whoever is on the path can do with answers the platform signed for others, or earlier
        Map<String, Runnable> falsifications = new LinkedHashMap<>();
        falsifications.put("no statement", () -> platform.statements = s -> null);
        falsifications.put("another device's", () -> platform.statements = s -> new AnswerStatement("dev-other",
                s.rolloutId(), s.releaseId(), s.nonce(), s.issuedAt(), s.expiresAt()));
        falsifications.put("another request's", () -> platform.statements = s -> new AnswerStatement(s.deviceId(),
                s.rolloutId(), s.releaseId(), new byte[16], s.issuedAt(), s.expiresAt()));
        falsifications.put("expired", () -> platform.statements = s -> new AnswerStatement(s.deviceId(),
                s.rolloutId(), s.releaseId(), s.nonce(), s.issuedAt().minusSeconds(7200),
                s.issuedAt().minusSeconds(3600)));
        falsifications.put("for nothing new", () -> platform.statements = s -> new AnswerStatement(s.deviceId(),
                null, null, s.nonce(), s.issuedAt(), s.expiresAt()));
        falsifications.put("another rollout's", () -> platform.statements = s -> new AnswerStatement(s.deviceId(),
                "rollout-cancelled", s.releaseId(), s.nonce(), s.issuedAt(), s.expiresAt()));
        falsifications.put("signed by another key", () -> platform.statementSigner = impostor);
        for (Map.Entry<String, Runnable> falsification : falsifications.entrySet()) {
            platform.statements = UnaryOperator.identity();
            platform.statementSigner = platform.statementKey;
            falsification.getValue().run();
            SimulatedDevice device = registered("dev-" + falsifications.keySet().stream().toList()
                    .indexOf(falsification.getKey()));
            DeviceAgent agent = DeviceAgent.builder(device, link).pollInterval(Duration.ofMillis(100)).build();
            CompletableFuture<UpdateOutcome> run = agent.update();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (agent.refusedAnswers() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(agent.refusedAnswers() >= 3, falsification.getKey() + ": the device ignores such answers");
            assertFalse(run.isDone(), falsification.getKey() + ": and keeps asking");
            assertEquals(0, platform.bytesServed.get(), falsification.getKey() + ": and downloads nothing");
            assertEquals(List.of(), platform.statesReportedBy(device.id()), falsification.getKey()
                    + ": nor reports a failure whoever sent it could provoke");

            // the platform vouches for its answers again: the device installs
            platform.statements = UnaryOperator.identity();
            platform.statementSigner = platform.statementKey;
            assertEquals(DeviceState.INSTALLED, run.get(30, TimeUnit.SECONDS).state(), falsification.getKey());
            platform.bytesServed.set(0);
        }
    }

    @Test
    void aPlatformThatAsksForAnEndlessWaitIsAskedAgainAtTheDevicesCap() throws Exception {
        // whoever answers at the platform's address withholds updates by answering every check 5.03 with the largest
        // Max-Age CoAP carries (136 years): the device must come back after its own cap, not freeze on its firmware
        start(1_000, false, null);
        SimulatedDevice device = registered("dev-frozen");
        AtomicInteger checks = new AtomicInteger();
        // an explicit configuration: Californium's default one reads and writes a properties file in the working
        // directory
        Configuration config = new Configuration(SystemConfig.DEFINITIONS, CoapConfig.DEFINITIONS,
                UdpConfig.DEFINITIONS);
        CoapServer withholding = new CoapServer(config);
        CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config)
                .setInetSocketAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).build();
        withholding.addEndpoint(endpoint);
        withholding.add(new CoapResource("check") {
            @Override
            public Resource getChild(String name) {
                return this; // check/{device-id}
            }

            @Override
            public void handleGET(CoapExchange exchange) {
                checks.incrementAndGet();
                exchange.setMaxAge(0xFFFF_FFFFL);
                exchange.respond(CoAP.ResponseCode.SERVICE_UNAVAILABLE, "busy");
            }
        });
        withholding.start();
        try (CoapLink hostile = CoapLink.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                endpoint.getAddress().getPort())).ackTimeout(Duration.ofMillis(200)).open()) {
            DeviceAgent agent = DeviceAgent.builder(device, hostile).pollInterval(Duration.ofMillis(100))
                    .maxRetryAfter(Duration.ofMillis(200)).build();
            agent.update();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (checks.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            agent.stop();
            assertTrue(checks.get() >= 3, "the device waited out the Max-Age: " + checks.get() + " check(s)");
        } finally {
            withholding.destroy();
        }
        assertThrows(IllegalArgumentException.class,
                () -> DeviceAgent.builder(device, link).maxRetryAfter(Duration.ZERO));
    }

    @Test
    void aNewImageThatDoesNotBootIsRolledBackAndReported() throws Exception {
        start(5_000, false, null);
        SimulatedDevice device = registered("dev-brick");
        DeviceAgent agent = DeviceAgent.builder(device, link)
                .faults(AgentFaults.NONE.withImageFailingToBoot()).build();

        UpdateOutcome outcome = await(agent);

        assertEquals(DeviceState.ROLLED_BACK, outcome.state());
        assertEquals("boot-failed", outcome.reason());
        assertEquals("1.0.0", device.flash().running().version());
        assertEquals(AbFlash.Slot.A, ((AbFlash) device.flash()).activeSlot());
        assertEquals(List.of(DeviceState.DOWNLOADING, DeviceState.DOWNLOADED, DeviceState.VERIFIED,
                DeviceState.ROLLED_BACK), platform.statesReportedBy("dev-brick"));
        DeviceReport last = platform.reportsOf("dev-brick").get(3);
        assertEquals("1.0.0", last.installedVersion());
        assertEquals(1, last.installedSequence());
    }

    @Test
    void anImageCorruptedInTransitFailsItsDigestAndIsNotInstalled() throws Exception {
        start(5_000, false, null);
        SimulatedDevice device = registered("dev-corrupt");
        DeviceAgent agent = DeviceAgent.builder(device, link).blockSize(1024)
                .faults(AgentFaults.NONE.withCorruptBlock(2)).build();

        UpdateOutcome outcome = await(agent);

        assertEquals(DeviceState.FAILED, outcome.state());
        assertEquals("digest-mismatch", outcome.reason());
        assertEquals("1.0.0", device.flash().running().version());
        assertNull(((AbFlash) device.flash()).image(AbFlash.Slot.B));
        assertEquals(List.of(DeviceState.DOWNLOADING, DeviceState.DOWNLOADED, DeviceState.FAILED),
                platform.statesReportedBy("dev-corrupt"));
    }

    @Test
    void anUnknownDeviceEnrollsWhenThePlatformAllowsIt() throws Exception {
        start(3_000, true, null);
        SimulatedDevice device = device("dev-new");
        DeviceAgent agent = DeviceAgent.builder(device, link).build();
        agent.enroll().get(30, TimeUnit.SECONDS);
        assertEquals(DeviceState.INSTALLED, await(agent).state());
    }

    @Test
    void anUnknownDeviceIsToldSoAndStops() throws Exception {
        start(3_000, false, null);
        DeviceAgent agent = DeviceAgent.builder(device("dev-stranger"), link).build();
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(agent));
        DeviceAgentException refused = assertInstanceOf(DeviceAgentException.class, e.getCause());
        assertTrue(refused.getMessage().contains("4.04"), refused.getMessage());
        ExecutionException enroll = assertThrows(ExecutionException.class,
                () -> agent.enroll().get(30, TimeUnit.SECONDS));
        assertTrue(enroll.getCause().getMessage().contains("4.03"), enroll.getCause().getMessage());
    }

    private byte[][] baseAndPatch() throws Exception {
        byte[] base = platform.image.clone();
        for (int i = 0; i < base.length; i += 100) {
            base[i] ^= 0x33; // 1% of the bytes differ from the new image
        }
        java.io.ByteArrayOutputStream patch = new java.io.ByteArrayOutputStream();
        new org.updraft.core.delta.BsdiffCodec().create(org.updraft.core.delta.Deltas.channel(base),
                org.updraft.core.delta.Deltas.channel(platform.image), patch, 2_000_000);
        return new byte[][] {base, patch.toByteArray()};
    }

    @Test
    void aDeviceRebuildsTheImageFromAnOfferedDelta() throws Exception {
        start(20_000, false, null);
        byte[][] bp = baseAndPatch();
        platform.offerDelta(bp[0], bp[1]);
        Provisioning p = device("dev-d").provisioning();
        SimulatedDevice device = new SimulatedDevice(p, new AbFlash("1.0.0", 1, bp[0]), 0);
        platform.register(device);
        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).blockSize(256).build());
        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(UpdateOutcome.Source.DELTA, outcome.source());
        assertEquals(bp[1].length, outcome.bytesDownloaded());
        assertArrayEquals(platform.image, device.flash().running().bytes());
    }

    @Test
    void aCorruptedPatchFallsBackToTheFullImageAndSaysSo() throws Exception {
        start(20_000, false, null);
        byte[][] bp = baseAndPatch();
        byte[] corrupted = bp[1].clone();
        corrupted[corrupted.length / 2] ^= 0x5a;
        platform.offerDelta(bp[0], corrupted);
        Provisioning p = device("dev-c").provisioning();
        SimulatedDevice device = new SimulatedDevice(p, new AbFlash("1.0.0", 1, bp[0]), 0);
        platform.register(device);
        UpdateOutcome outcome = await(DeviceAgent.builder(device, link).blockSize(256).build());
        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(UpdateOutcome.Source.IMAGE_AFTER_DELTA, outcome.source());
        assertArrayEquals(platform.image, device.flash().running().bytes());
        List<DeviceReport> reports = platform.reportsOf("dev-c");
        assertTrue(reports.stream().anyMatch(r -> r.state() == DeviceState.DOWNLOADING
                && "delta-mismatch".equals(r.reason())), reports.toString());
        assertEquals(DeviceState.INSTALLED, reports.get(reports.size() - 1).state());
    }
}
