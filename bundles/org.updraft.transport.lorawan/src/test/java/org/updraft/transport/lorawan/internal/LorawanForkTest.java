package org.updraft.transport.lorawan.internal;

import static org.updraft.transport.lorawan.internal.FuotaPlatform.await;
import static org.updraft.transport.lorawan.internal.FuotaPlatform.settled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.update.TrustedCheckpoint;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.transport.lorawan.internal.LorawanTransport.Stage;
import org.updraft.transport.lorawan.internal.sim.SimulatedDevice;
import org.updraft.transport.lorawan.internal.sim.VerifyingFirmware;
import org.updraft.transport.lorawan.internal.update.UpdateBlock;

/**
 * A LoRaWAN device cannot be shown a forked log, on the real platform (ledger, rollout engine, update service, JDBC
 * registry, local store), a real mosquitto and the simulated ChirpStack: the devices keep the checkpoint they verified,
 * the transport remembers its size and puts the consistency proof from it into the next release's block, and a
 * device whose proof fails reports {@code log-fork} and keeps its image; a device whose size the transport does not
 * know says so ({@code log-unproven}) and gets the proof in its next session.
 */
class LorawanForkTest {

    private static final double SPEEDUP = 50;

    @TempDir
    Path dir;

    private RadioBench bench;
    private FuotaPlatform platform;
    private Map<String, VerifyingFirmware> firmware;

    @BeforeEach
    void start() throws Exception {
        bench = new RadioBench(dir, SPEEDUP);
        platform = bench.platform;
        firmware = bench.firmware;
        bench.network();
    }

    @AfterEach
    void stop() throws Exception {
        bench.close();
    }

    @Test
    void aBlockCarriesTheProofsOfTheEightSizesMostDevicesHoldAndNoMore() throws Exception {
        // ten devices whose remembered checkpoints have nine sizes (two devices hold the largest): one size too many
        StringBuilder state = new StringBuilder();
        List<String> ids = new ArrayList<>();
        Map<String, List<Integer>> proofCounts = new LinkedHashMap<>();
        Map<String, List<Long>> provenFrom = new LinkedHashMap<>();
        for (int n = 1; n <= 10; n++) {
            String id = lorawanDevice(n, UnaryOperator.identity());
            ids.add(id);
            long size = n <= 2 ? 9 : n - 2;
            state.append(id).append(" 0 ").append(size).append(" -\n");
            VerifyingFirmware fw = firmware.get(id);
            List<Integer> counts = new ArrayList<>();
            List<Long> firsts = new ArrayList<>();
            proofCounts.put(id, counts);
            provenFrom.put(id, firsts);
            // what reached the device: it holds no checkpoint yet, so it needs none of them
            bench.radios.put(id, new SimulatedDevice(id, (block, at) -> {
                List<byte[]> proofs = UpdateBlock.decode(block).proofs();
                counts.add(proofs.size());
                for (byte[] p : proofs) {
                    try {
                        firsts.add(UpdateAnswers.decodeConsistency(p).firstSize());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
                return fw.rebuilt(block, at);
            }, Duration.ZERO, 1 << 16, bench.random));
        }
        Files.writeString(dir.resolve("many.state"), state);
        for (int s = 2; s <= 11; s++) {
            platform.publish(image(), s);
        }
        LorawanTransport t = transport("many.state");
        Release r = rollOut(t, 12, image());
        long offered = offeredCheckpoint(ids.get(0), 1);
        assertTrue(offered > 9, offered + " events");
        await("every device installed", Duration.ofSeconds(120),
                () -> ids.stream().allMatch(id -> installed(t, id, r)));
        for (String id : ids) {
            assertEquals(List.of(UpdateBlock.MAX_PROOFS), proofCounts.get(id), id);
            // the size two devices hold first, then the others smallest first: the largest held by one is left out
            assertEquals(List.of(9L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), provenFrom.get(id), id);
        }
    }

    @Test
    void aDeviceWhoseProofTheUpdateServiceCannotGiveWaitsForTheRetryInsteadOfCostingASessionEachScan()
            throws Exception {
        Map<String, List<Integer>> blocks = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        for (int n = 1; n <= 2; n++) {
            List<Integer> seen = new ArrayList<>();
            String id = lorawanDevice(n, block -> {
                seen.add(UpdateBlock.decode(block).proofs().size());
                return block;
            });
            blocks.put(id, seen);
            ids.add(id);
        }
        LorawanTransport before = transport("devices.state");
        Release one = rollOut(before, 2, image());
        await("the first release installed", Duration.ofSeconds(90),
                () -> ids.stream().allMatch(id -> installed(before, id, one)));
        before.close();

        // the same state file: the transport knows each device's size, but gets no proof from it
        UpdateService real = platform.updates;
        UpdateService refusing = (UpdateService) Proxy.newProxyInstance(UpdateService.class.getClassLoader(),
                new Class<?>[] {UpdateService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("consistency")) {
                        throw new UpdateException("unavailable", "the ledger is down");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        LorawanTransport t = transport("devices.state", refusing);
        Release two = rollOut(t, 3, image());
        await("both devices lacking their proof", Duration.ofSeconds(90), () -> ids.stream().allMatch(id -> {
            LorawanTransport.Delivery d = t.deliveries().get(id);
            return d != null && d.releaseId().equals(two.id()) && d.stage() == Stage.UNDELIVERED;
        }));
        t.scanSoon();
        await("a scan that finds no device to offer", Duration.ofSeconds(30),
                () -> t.status().contains("no LoRaWAN device has an offer"));

        for (String id : ids) {
            assertTrue(t.deliveries().get(id).reason().startsWith(UpdateBlock.LOG_UNPROVEN + ": "), id);
            // one block each release: the second without its proof, and none again before retry.minutes
            assertEquals(List.of(0, 0), blocks.get(id), id);
            assertEquals(2, firmware.get(id).sequence(), id);
        }
    }

    /** A device running 1.0.0 whose radio hands the rebuilt block to its firmware through {@code radio}. */
    private String lorawanDevice(int n, UnaryOperator<byte[]> radio) throws Exception {
        String devEui = String.format("70b3d57ed2%06x", n);
        bench.device(devEui, FuotaPlatform.VENDOR, "1.0.0", 1, radio).running(new byte[0]);
        return devEui;
    }

    private String lorawanDevice(int n) throws Exception {
        return lorawanDevice(n, UnaryOperator.identity());
    }

    private LorawanTransport transport(String stateFile) {
        return transport(stateFile, platform.updates);
    }

    private LorawanTransport transport(String stateFile, UpdateService updates) {
        return bench.transport(Map.of("state.file", dir.resolve(stateFile).toString()), updates, platform.store);
    }

    private byte[] image() {
        byte[] image = new byte[3000];
        bench.random.nextBytes(image);
        return image;
    }

    private Rollout current;

    /** Publishes a release of {@code sequence} and rolls it out (the one before completed); returns the release. */
    private Release rollOut(LorawanTransport t, long sequence, byte[] image) throws Exception {
        Release r = platform.publish(image, sequence);
        start(r);
        t.scanSoon();
        return r;
    }

    /** Completes the rollout before (its one wave reported), then starts one of {@code r}. */
    private void start(Release r) throws Exception {
        if (current != null) {
            platform.rollouts.advance(current.id(), "test");
        }
        current = platform.rollout(r);
    }

    private boolean installed(LorawanTransport t, String id, Release r) {
        LorawanTransport.Delivery d = t.deliveries().get(id);
        return d != null && d.stage() == Stage.INSTALLED && d.releaseId().equals(r.id());
    }

    /** The checkpoint size of the offer a device running {@code sequence} gets now. */
    private long offeredCheckpoint(String id, long sequence) throws Exception {
        return ((UpdateAnswer.Offer) platform.updates.check(id, sequence)).checkpoint().treeSize();
    }

    @Test
    void theNextReleasesBlockCarriesTheProofFromTheCheckpointEachDeviceKeptAndEveryDeviceInstalls() throws Exception {
        List<String> ids = List.of(lorawanDevice(1), lorawanDevice(2), lorawanDevice(3));
        LorawanTransport t = transport("devices.state");
        byte[] first = image();
        Release one = rollOut(t, 2, first);
        await("the first release installed", Duration.ofSeconds(90),
                () -> ids.stream().allMatch(id -> installed(t, id, one)));
        long kept = firmware.get(ids.get(0)).trustedCheckpoint().treeSize();
        for (String id : ids) {
            assertEquals(kept, firmware.get(id).trustedCheckpoint().treeSize(), id);
        }

        byte[] second = image();
        Release two = platform.publish(second, 3);
        start(two);
        long offered = offeredCheckpoint(ids.get(0), 2);
        assertTrue(offered > kept, offered + " events after " + kept);
        t.scanSoon();
        await("the second release installed", Duration.ofSeconds(90),
                () -> ids.stream().allMatch(id -> installed(t, id, two)));

        for (String id : ids) {
            VerifyingFirmware fw = firmware.get(id);
            assertEquals(DeviceState.INSTALLED, fw.state(), id + ": " + fw.reason());
            assertArrayEquals(second, fw.image(), id);
            // it verified the proof from what it kept and keeps the larger checkpoint now
            assertEquals(offered, fw.trustedCheckpoint().treeSize(), id);
            assertEquals(3, platform.device(id).installedSequence(), id);
        }
        // the proof was in the first block the devices got: none had to say it lacked one
        assertFalse(platform.reportOnLedgerSays(UpdateBlock.LOG_UNPROVEN));
        assertFalse(platform.reportOnLedgerSays("log-fork"));
    }

    @Test
    void aDeviceWhoseProofIsCorruptedReportsLogForkAndKeepsItsImageWhileTheOthersInstall() throws Exception {
        String honest = lorawanDevice(1);
        String other = lorawanDevice(2);
        String forked = lorawanDevice(3, LorawanForkTest::corruptProofs);
        LorawanTransport t = transport("devices.state");
        byte[] first = image();
        Release one = rollOut(t, 2, first);
        await("the first release installed", Duration.ofSeconds(90),
                () -> firmware.keySet().stream().allMatch(id -> installed(t, id, one)));
        TrustedCheckpoint kept = firmware.get(forked).trustedCheckpoint();

        Release two = rollOut(t, 3, image());
        await("every device's report of the second release", Duration.ofSeconds(90), () -> installed(t, honest, two)
                && installed(t, other, two) && t.deliveries().get(forked).stage() == Stage.REPORTED_FAILURE);

        VerifyingFirmware fw = firmware.get(forked);
        assertEquals(DeviceState.FAILED, fw.state());
        assertEquals("log-fork", fw.reason());
        assertArrayEquals(first, fw.image(), "it runs what it ran");
        assertEquals(2, fw.sequence());
        assertEquals(kept, fw.trustedCheckpoint(), "it keeps the checkpoint it had");
        assertTrue(platform.reportOnLedgerSays(forked, "failed", "log-fork"));
        assertEquals(2, platform.device(forked).installedSequence());
        for (String id : List.of(honest, other)) {
            assertEquals(DeviceState.INSTALLED, firmware.get(id).state(), firmware.get(id).reason());
            assertEquals(3, platform.device(id).installedSequence(), id);
        }
    }

    @Test
    void aDeviceWhoseCheckpointTheTransportDoesNotKnowSaysSoAndGetsTheProofInItsNextSession() throws Exception {
        List<String> ids = List.of(lorawanDevice(1), lorawanDevice(2));
        LorawanTransport before = transport("before.state");
        Release one = rollOut(before, 2, image());
        await("the first release installed", Duration.ofSeconds(90),
                () -> ids.stream().allMatch(id -> installed(before, id, one)));
        long kept = firmware.get(ids.get(0)).trustedCheckpoint().treeSize();
        before.close();

        // another state file: the transport knows no device's checkpoint
        LorawanTransport t = transport("fresh.state");
        byte[] second = image();
        Release two = rollOut(t, 3, second);
        await("the second release installed", Duration.ofSeconds(120),
                () -> ids.stream().allMatch(id -> installed(t, id, two)));

        for (String id : ids) {
            // first session: no proof, nothing installed, the device named the size it holds
            assertTrue(platform.reportOnLedgerSays(id, "downloading", UpdateBlock.LOG_UNPROVEN + ": " + kept), id);
            VerifyingFirmware fw = firmware.get(id);
            assertEquals(DeviceState.INSTALLED, fw.state(), fw.reason());
            assertArrayEquals(second, fw.image());
            assertTrue(fw.trustedCheckpoint().treeSize() > kept);
            assertEquals(3, platform.device(id).installedSequence());
        }
        assertTrue(settled(t, ids.size()));
    }

    @Test
    void aBlockFromAnotherLogUnderTheSameLogKeyWithThatLogsProofIsRefusedAsLogFork() throws Exception {
        String id = "70b3d57ed2000009";
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        platform.register(id, key, Set.of("lorawan"));
        VerifyingFirmware fw = new VerifyingFirmware(id, key, FuotaPlatform.VENDOR, FuotaPlatform.CLASS, null,
                platform.logKey(), platform.deviceTrust(), "1.0.0", 1, 203, 51).running(new byte[0]);
        byte[] first = image();
        start(platform.publish(first, 2));
        UpdateAnswer.Offer offer = (UpdateAnswer.Offer) platform.updates.check(id, 1);
        fw.rebuilt(UpdateBlock.encode(UpdateBlock.Payload.IMAGE, UpdateAnswers.encode(offer), new byte[0], first),
                Instant.now());
        assertEquals(DeviceState.INSTALLED, fw.state(), fw.reason());
        TrustedCheckpoint kept = fw.trustedCheckpoint();
        assertEquals(offer.checkpoint().treeSize(), kept.treeSize());

        // whoever holds the log key keeps a second log, made for this device: it records a release (signed by the
        // manufacturer) that the platform's own log, the one auditors see, never shows
        Path forkDir = dir.resolve("fork");
        Files.createDirectories(forkDir);
        Files.copy(dir.resolve("platform").resolve("log-key.pem"), forkDir.resolve("log-key.pem"));
        try (FuotaPlatform fork = new FuotaPlatform(forkDir)) {
            assertEquals(platform.logKey(), fork.logKey());
            fork.trust.register(platform.vendorKey.did(), FuotaPlatform.VENDOR, Set.of());
            fork.register(id, key, Set.of("lorawan"), "2.0.2", 2);
            fork.publish(image(), 3, FuotaPlatform.VENDOR, platform.vendorKey);
            byte[] second = image();
            fork.rollout(fork.publish(second, 4, FuotaPlatform.VENDOR, platform.vendorKey));
            UpdateAnswer.Offer forked = (UpdateAnswer.Offer) fork.updates.check(id, 2);
            long size = forked.checkpoint().treeSize();
            assertTrue(size > kept.treeSize(), size + " events in the fork, " + kept.treeSize() + " kept");
            ConsistencyProof proof = fork.updates.consistency(kept.treeSize(), size);
            byte[] forkedOffer = UpdateAnswers.encode(forked);

            // without a proof it installs nothing and says what it lacks
            fw.rebuilt(UpdateBlock.encode(UpdateBlock.Payload.IMAGE, forkedOffer, new byte[0], second), Instant.now());
            assertEquals(DeviceState.DOWNLOADING, fw.state());
            assertEquals(UpdateBlock.LOG_UNPROVEN + ": " + kept.treeSize(), fw.reason());
            // with the fork's own proof: the fork's first events are not the ones the device verified
            fw.rebuilt(UpdateBlock.encode(UpdateBlock.Payload.IMAGE, forkedOffer, new byte[0],
                    List.of(UpdateAnswers.encodeConsistency(proof)), second), Instant.now());
            assertEquals(DeviceState.FAILED, fw.state());
            assertEquals("log-fork", fw.reason());
            assertArrayEquals(first, fw.image(), "it runs what it ran");
            assertEquals(2, fw.sequence());
            assertEquals(kept, fw.trustedCheckpoint());
        }
    }

    /** The block as a radio error would leave it: every proof's first hash changed, its CBOR still well-formed. */
    private static byte[] corruptProofs(byte[] block) {
        UpdateBlock parts = UpdateBlock.decode(block);
        List<byte[]> proofs = new ArrayList<>();
        for (byte[] bytes : parts.proofs()) {
            try {
                ConsistencyProof p = UpdateAnswers.decodeConsistency(bytes);
                List<byte[]> path = new ArrayList<>(p.path());
                assertNotNull(path.isEmpty() ? null : path, "a proof between two sizes has hashes");
                byte[] hash = path.get(0).clone();
                hash[7] ^= 0x01;
                path.set(0, hash);
                proofs.add(UpdateAnswers.encodeConsistency(new ConsistencyProof(p.firstSize(), p.secondSize(),
                        path)));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return UpdateBlock.encode(parts.kind(), parts.answer(), parts.statement(), proofs, parts.payload());
    }
}
