package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.TimeWindow;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.VerifiedManifest;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceAttestations;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.testing.Configs;

class RolloutEngineTest {

    @TempDir
    Path dir;

    private Platform p;

    @BeforeEach
    void open() throws Exception {
        p = new Platform(dir);
    }

    @AfterEach
    void close() {
        p.close();
    }

    private static WaveSpec wave(String name, String selector, double success, double error, boolean auto) {
        return new WaveSpec(name, WaveSelector.parse(selector), success, error, auto, null, 0);
    }

    private Rollout running(Release release, WaveSpec... waves) throws Exception {
        Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(waves)), "alice");
        return p.rollouts.start(r.id(), "alice");
    }

    private static String reason(UpdateAnswer a) {
        return a instanceof UpdateAnswer.NoUpdate n ? n.reason() : "offer";
    }

    @Test
    void aRolloutMovesThroughItsStatesAndRefusesTheRest() throws Exception {
        p.fleet("d", 10, "eu", "us");
        Release release = p.publish(5);
        Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL,
                List.of(wave("eu", "region:eu", 100, 50, false), wave("us", "region:us", 100, 50, false))), "alice");
        assertEquals(RolloutState.DRAFT, r.state());
        assertEquals(new DeviceFilter("acme", "thermo", null, Set.of(), null, null), r.target(),
                "the target is narrowed to the release's vendor and class");
        String id = r.id();

        assertEquals("bad-state", assertThrows(RolloutException.class, () -> p.rollouts.pause(id, "bob", "x")).code());
        assertEquals("bad-state", assertThrows(RolloutException.class, () -> p.rollouts.resume(id, "bob")).code());
        assertEquals("bad-state", assertThrows(RolloutException.class, () -> p.rollouts.advance(id, "bob")).code());
        assertEquals("conflict", assertThrows(RolloutException.class, () -> p.rollouts.create(
                new RolloutSpec(release.id(), null, List.of(wave("all", "percent:100", 90, 10, true))), "bob")).code());

        assertEquals(RolloutState.RUNNING, p.rollouts.start(id, "alice").state());
        assertEquals("bad-state", assertThrows(RolloutException.class, () -> p.rollouts.start(id, "bob")).code());
        Rollout paused = p.rollouts.pause(id, "bob", "night shift");
        assertEquals(RolloutState.PAUSED, paused.state());
        assertEquals("night shift", paused.reason());
        assertEquals("bad-state", assertThrows(RolloutException.class, () -> p.rollouts.advance(id, "bob")).code());
        assertEquals(RolloutState.RUNNING, p.rollouts.resume(id, "bob").state());
        Rollout advanced = p.rollouts.advance(id, "carol");
        assertEquals(1, advanced.currentWave());
        assertTrue(advanced.reason().contains("carol"), advanced.reason());
        Rollout done = p.rollouts.advance(id, "carol");
        assertEquals(RolloutState.COMPLETED, done.state());
        assertEquals(2, done.currentWave());
        for (String verb : List.of("start", "pause", "resume", "cancel", "advance")) {
            RolloutException e = assertThrows(RolloutException.class, () -> {
                switch (verb) {
                    case "start" -> p.rollouts.start(id, "x");
                    case "pause" -> p.rollouts.pause(id, "x", null);
                    case "resume" -> p.rollouts.resume(id, "x");
                    case "cancel" -> p.rollouts.cancel(id, "x", null);
                    default -> p.rollouts.advance(id, "x");
                }
            });
            assertEquals("bad-state", e.code(), verb);
        }
        // a new rollout of the class is allowed once the last one is final, and can be cancelled from draft
        Release next = p.publish(6);
        Rollout second = p.rollouts.create(new RolloutSpec(next.id(), null, List.of(wave("all", "percent:100", 90, 10, true))), "bob");
        Rollout cancelled = p.rollouts.cancel(second.id(), "bob", "wrong release");
        assertEquals(RolloutState.CANCELLED, cancelled.state());
        assertEquals("wrong release", cancelled.reason());

        assertEquals("unknown-rollout", assertThrows(RolloutException.class, () -> p.rollouts.start("r-nope", "x")).code());
        assertEquals("unknown-release", assertThrows(RolloutException.class, () -> p.rollouts.create(
                new RolloutSpec("acme/thermo/99", null, List.of(wave("a", "percent:100", 1, 1, true))), "x")).code());
        assertEquals("invalid", assertThrows(RolloutException.class, () -> p.rollouts.create(
                new RolloutSpec(next.id(), DeviceFilter.ALL.withDeviceClass("other"),
                        List.of(wave("a", "percent:100", 1, 1, true))), "x")).code());
        assertEquals("invalid", assertThrows(RolloutException.class, () -> p.rollouts.create(
                new RolloutSpec(next.id(), null, List.of(wave("a", "percent:100", 1, 1, true),
                        wave("b", "region:eu", 1, 1, true))), "x")).code(), "a wave after an all-taking wave");
        // five changes of the first rollout, one of the second: nothing for a refusal
        assertEquals(2, p.count(EventTypes.ROLLOUT_CREATED));
        assertEquals(6, p.count(EventTypes.ROLLOUT_CHANGED));
    }

    @Test
    void waveMembershipIsDeterministicAndPercentWavesTakeTheirShare() throws Exception {
        List<String> ids = p.fleet("dev", 10_000, "eu", "us", "ap");
        Release release = p.publish(3);
        Rollout r = running(release, wave("canary", "devices:dev-00001,dev-00002,dev-00003,not-in-fleet", 100, 0, false),
                wave("eu", "region:eu", 100, 0, false), wave("tenth", "percent:10", 100, 0, false),
                wave("half", "percent:50", 100, 0, false), wave("rest", "percent:100", 100, 0, false));

        int[] expected = new int[5];
        for (String id : ids) {
            expected[WaveMembership.waveOf(r.id(), r.waves(), id, p.registry.find(id).get().region())]++;
        }
        RolloutProgress progress = p.rollouts.progress(r.id());
        int[] members = progress.waves().stream().mapToInt(WaveProgress::members).toArray();
        assertArrayEquals(expected, members);
        assertEquals(3, members[0], "listed devices outside the fleet are ignored");
        int remaining = 10_000 - 3 - members[1];
        assertEquals(3333, members[1], "every third device is in eu (3334), less canary dev-00003");
        // 10% of what remains (~667), then 50% of what remains after that: within 4 standard deviations
        assertEquals(remaining * 0.10, members[2], 4 * Math.sqrt(remaining * 0.1 * 0.9));
        int afterTenth = remaining - members[2];
        assertEquals(afterTenth * 0.5, members[3], 4 * Math.sqrt(afterTenth * 0.25));
        assertEquals(afterTenth - members[3], members[4]);

        // a fresh replay on new instances computes the same
        p.restart();
        assertEquals(progress.waves(), p.rollouts.progress(r.id()).waves());
        // and a device's answer follows its wave: canaries are offered, the eu wave is not started yet
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("dev-00002", 1));
        assertEquals("not-in-wave", reason(p.updates.check("dev-00000", 1)));
    }

    @Test
    void aCanaryOverItsErrorThresholdPausesAndNoOtherDeviceWasOffered() throws Exception {
        List<String> ids = p.fleet("d", 200, "eu", "us");
        List<String> canaries = ids.subList(0, 5);
        Release release = p.publish(2);
        Rollout r = running(release, wave("canary", "devices:" + String.join(",", canaries), 80, 20, true),
                wave("all", "percent:100", 95, 5, true));
        assertEquals("not-in-wave", reason(p.updates.check(ids.get(199), 1)));
        List<String> notified = new ArrayList<>();
        p.engine.addListener(notified::add);

        p.update(canaries.get(0), DeviceState.INSTALLED);
        p.update(canaries.get(1), DeviceState.FAILED);
        assertEquals(RolloutState.RUNNING, p.rollouts.find(r.id()).get().state(), "1 of 5 is not above 20%");
        p.update(canaries.get(2), DeviceState.ROLLED_BACK);

        Rollout paused = p.rollouts.find(r.id()).orElseThrow();
        assertEquals(RolloutState.PAUSED, paused.state());
        assertEquals(0, paused.currentWave());
        assertTrue(paused.reason().contains("wave 0 (canary): 2 of 5 devices failed (1) or rolled back (1)"),
                paused.reason());
        assertEquals(List.of(r.id()), notified, "the transports were told once");
        // the other devices ask and get nothing; a canary that did not start gets nothing new either
        for (String id : ids.subList(5, ids.size())) {
            assertEquals("paused", reason(p.updates.check(id, 1)));
        }
        assertEquals("paused", reason(p.updates.check(canaries.get(4), 1)));
        assertEquals(Set.copyOf(canaries.subList(0, 3)), Set.copyOf(p.offeredOnLedger(r.id())),
                "the ledger shows offers to the three canaries that asked, and to no one else");

        WaveProgress canary = p.rollouts.progress(r.id()).waves().get(0);
        assertEquals(new WaveProgress(0, "canary", "halted", 5, 3, 0, 0, 1, 1, 1), canary);
    }

    @Test
    void aWaveThatCanNoLongerReachItsSuccessThresholdPausesInsteadOfWaitingForEver() throws Exception {
        List<String> ids = p.fleet("d", 20, "eu");
        List<String> canaries = ids.subList(0, 5);
        Release release = p.publish(2);
        // every canary must install, yet one failure is within the error threshold: the pair the demo once had
        Rollout r = running(release, wave("canary", "devices:" + String.join(",", canaries), 100, 20, true),
                wave("all", "percent:100", 90, 20, true));
        p.update(canaries.get(0), DeviceState.INSTALLED);
        p.update(canaries.get(1), DeviceState.ROLLED_BACK);

        Rollout paused = p.rollouts.find(r.id()).orElseThrow();
        assertEquals(RolloutState.PAUSED, paused.state(), "1 of 5 is not above 20%, but 100% cannot be reached");
        assertEquals(0, paused.currentWave());
        assertTrue(paused.reason().contains("wave 0 (canary): 1 of 5 devices failed (0) or rolled back (1), so at "
                + "most 4 can install: the success threshold of 100% is out of reach"), paused.reason());
        assertEquals("halted", p.rollouts.progress(r.id()).waves().get(0).status());
        assertEquals("paused", reason(p.updates.check(ids.get(10), 1)));

        // the operator decides: a resume keeps the wave waiting (the next failure would pause it again), an
        // advance moves on to the next wave
        p.rollouts.resume(r.id(), "operator:test");
        assertEquals(RolloutState.RUNNING, p.rollouts.find(r.id()).get().state());
        for (String id : canaries.subList(2, 5)) {
            p.update(id, DeviceState.INSTALLED);
        }
        assertEquals(0, p.rollouts.find(r.id()).get().currentWave(), "4 of 5 installed is not 100%");
        p.rollouts.advance(r.id(), "operator:test");
        assertEquals(1, p.rollouts.find(r.id()).get().currentWave());
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check(ids.get(10), 1));

        // the last wave, out of reach of its 90% (2 of 15 failed), keeps offering the release to its other devices
        p.update(ids.get(10), DeviceState.FAILED);
        p.update(ids.get(11), DeviceState.ROLLED_BACK);
        assertEquals(RolloutState.RUNNING, p.rollouts.find(r.id()).get().state(), "2 of 15 is not above 20%");
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check(ids.get(12), 1));
        assertEquals("active", p.rollouts.progress(r.id()).waves().get(1).status());
    }

    @Test
    void devicesGetTheLogsConsistencyProofsAndNoneForATreeItDoesNotHave() throws Exception {
        p.fleet("d", 3, "eu");
        p.publish(2);
        long size = p.ledger.size();
        byte[] root = p.ledger.checkpoint().rootHash();
        for (long first = 0; first <= size; first++) {
            ConsistencyProof proof = p.updates.consistency(first, size);
            MemoryMerkleTree prefix = new MemoryMerkleTree();
            for (long i = 0; i < first; i++) {
                prefix.append(LedgerEventCodec.leafHash(p.ledger.get(i).event()));
            }
            MerkleTree.verifyConsistency(proof, prefix.rootHash(), root);
        }
        UpdateException beyond = assertThrows(UpdateException.class, () -> p.updates.consistency(1, size + 1));
        assertEquals("bad-range", beyond.code());
        assertTrue(beyond.getMessage().contains("has " + size + " events"), beyond.getMessage());
        assertEquals("bad-range", assertThrows(UpdateException.class, () -> p.updates.consistency(2, 1)).code());
    }

    @Test
    void regionWavesAdvanceByThemselvesToCompletion() throws Exception {
        List<String> ids = p.fleet("d", 60, "eu", "us", "ap");
        Release release = p.publish(2);
        Rollout r = running(release, wave("canary", "devices:d-00000,d-00001", 100, 0, true),
                wave("eu", "region:eu", 90, 20, true), wave("us", "region:us", 90, 20, true),
                wave("ap", "region:ap", 90, 20, true), wave("empty", "region:mars", 90, 20, true));
        Map<String, Integer> waveIndex = Map.of("eu", 1, "us", 2, "ap", 3);
        p.update("d-00000", DeviceState.INSTALLED);
        p.update("d-00001", DeviceState.INSTALLED);
        assertEquals(1, p.rollouts.find(r.id()).get().currentWave());
        for (String region : List.of("eu", "us", "ap")) {
            int wave = waveIndex.get(region);
            List<String> members = new ArrayList<>();
            for (String id : ids) {
                if (!id.equals("d-00000") && !id.equals("d-00001")
                        && region.equals(p.registry.find(id).get().region())) {
                    members.add(id);
                }
            }
            // devices of later regions wait
            for (String other : ids) {
                String otherRegion = p.registry.find(other).get().region();
                if (waveIndex.get(otherRegion) > wave && !other.equals("d-00000") && !other.equals("d-00001")) {
                    assertEquals("not-in-wave", reason(p.updates.check(other, 1)));
                    break;
                }
            }
            // 90% needed: one failure among ~20 is fine (under 20%), and the wave passes at the 90% mark
            p.update(members.get(0), DeviceState.FAILED);
            int needed = (int) Math.ceil(members.size() * 0.9);
            for (int i = 1; i <= needed; i++) {
                assertEquals(wave, p.rollouts.find(r.id()).get().currentWave(), region + " before " + i);
                p.update(members.get(i), DeviceState.INSTALLED);
            }
        }
        Rollout done = p.rollouts.find(r.id()).orElseThrow();
        assertEquals(RolloutState.COMPLETED, done.state(), "the empty last wave passes at once");
        assertEquals(5, done.currentWave());
        // a completed rollout offers nothing new; the registry shows the new image on installed devices
        assertEquals("no-rollout", reason(p.updates.check(ids.get(ids.size() - 1), 1)));
        assertEquals(2, p.registry.find("d-00000").get().installedSequence());
        assertEquals(DeviceState.INSTALLED, p.registry.find("d-00000").get().state());
        assertEquals(List.of("passed", "passed", "passed", "passed", "passed"),
                p.rollouts.progress(r.id()).waves().stream().map(WaveProgress::status).toList());
    }

    @Test
    void aWaveWithoutAutoAdvanceWaitsForTheOperator() throws Exception {
        p.fleet("d", 4, "eu", "us");
        Release release = p.publish(2);
        Rollout r = running(release, wave("eu", "region:eu", 50, 50, false), wave("us", "region:us", 50, 50, false));
        p.update("d-00000", DeviceState.INSTALLED);
        RolloutProgress progress = p.rollouts.progress(r.id());
        assertEquals(0, progress.rollout().currentWave());
        assertEquals("passed", progress.waves().get(0).status());
        assertEquals("pending", progress.waves().get(1).status());
        assertEquals("not-in-wave", reason(p.updates.check("d-00001", 1)));
        List<String> notified = new ArrayList<>();
        p.engine.addListener(notified::add);
        Rollout advanced = p.rollouts.advance(r.id(), "alice");
        assertEquals(1, advanced.currentWave());
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00001", 1));
        assertEquals(List.of(r.id()), notified, "the update service noticed the operator's change");
    }

    @Test
    void neverOffersAnOlderWrongClassWrongProfileOrRevokedRelease() throws Exception {
        SigningKey otherKey = SigningKey.generate(KeyAlgorithm.P256);
        p.trust.register(otherKey.did(), "acme", Set.of());
        p.registry.registerAll(List.of(p.device("m4-a", "eu", "cortex-m4"), p.device("m7-a", "eu", "cortex-m7"),
                p.device("m4-b", "eu", "cortex-m4")));
        p.registry.register(new org.updraft.api.device.Device("cam-1", p.device("cam-1", "eu", null).publicKey(),
                "acme", "camera", "cortex-m4", Set.of(), "eu", "1.0.0", 1, DeviceState.IDLE, null, Instant.now()));
        Release release = p.publish("thermo", "cortex-m4", 7, otherKey);
        // the canary list names a cortex-m7 device and a camera: the profile and class narrowing keep them out
        Rollout r = running(release, wave("canary", "devices:m4-a,m7-a,cam-1,m4-b", 100, 100, false));
        assertEquals("cortex-m4", r.target().profile());

        assertEquals("no-rollout", reason(p.updates.check("m7-a", 1)), "wrong profile");
        assertEquals("no-rollout", reason(p.updates.check("cam-1", 1)), "wrong class");
        assertEquals("up-to-date", reason(p.updates.check("m4-a", 7)), "same sequence");
        assertEquals("up-to-date", reason(p.updates.check("m4-a", 8)), "newer installed");
        UpdateAnswer.Offer offer = assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("m4-a", 6));
        assertEquals(release.id(), offer.release().id());

        // the offer carries what the device checks offline, and the shared verifier accepts it
        DeviceAnswer decoded = UpdateAnswers.decode(UpdateAnswers.encode(offer));
        VerifiedManifest verified = new OfferVerifier(p.ledger.logKey(), p.trust::find)
                .verify((DeviceAnswer.Offer) decoded, Expectations.none().deviceClass("thermo").profile("cortex-m4")
                        .installedSequence(6));
        assertEquals(7, verified.manifest().sequence());
        assertArrayEquals(UpdateAnswers.tagOf(UpdateAnswers.encode(offer)), offer.tag());

        p.trust.revoke(otherKey.did(), "leaked");
        assertEquals("signer-revoked", reason(p.updates.check("m4-a", 6)));
        assertEquals("signer-revoked", reason(p.updates.check("m4-b", 1)));
        assertEquals(List.of("m4-a"), p.offeredOnLedger(r.id()));
        assertEquals("invalid", assertThrows(RolloutException.class, () -> p.rollouts.create(
                new RolloutSpec(release.id(), null, List.of(wave("a", "percent:100", 1, 1, true))), "x")).code());
    }

    @Test
    void theDownloadCapAndTheTimeWindowTellDevicesWhenToComeBack() throws Exception {
        p.updateConfig.put("offer_timeout_seconds", 300L);
        p.updateConfig.put("cap_retry_seconds", 20L);
        p.close();
        p = reopen();
        p.fleet("d", 10, "eu");
        Release release = p.publish(2);
        // window 02:00-05:00 UTC; the clock stands at 12:00
        Rollout r = running(release, new WaveSpec("night", new WaveSelector.Percent(100), 100, 50, false,
                TimeWindow.parse("02:00-05:00"), 2));
        UpdateAnswer.NoUpdate closed = assertInstanceOf(UpdateAnswer.NoUpdate.class, p.updates.check("d-00000", 1));
        assertEquals("outside-window", closed.reason());
        assertEquals(Duration.ofHours(14), closed.retryAfter());
        assertTrue(p.offeredOnLedger(r.id()).isEmpty());

        p.clock.set(Instant.parse("2026-03-02T02:30:00Z"));
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00000", 1));
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00001", 1));
        UpdateAnswer.NoUpdate capped = assertInstanceOf(UpdateAnswer.NoUpdate.class, p.updates.check("d-00002", 1));
        assertEquals("download-cap", capped.reason());
        assertEquals(Duration.ofSeconds(20), capped.retryAfter());
        // a device holding a slot asks again (resuming) and is served
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00001", 1));
        // d-00000 finishes: its slot frees
        p.updates.report(p.report("d-00000", r.id(), release.id(), DeviceState.DOWNLOADING, 1));
        assertEquals("download-cap", reason(p.updates.check("d-00002", 1)));
        p.updates.report(p.report("d-00000", r.id(), release.id(), DeviceState.INSTALLED, 2));
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00002", 1));
        assertEquals("download-cap", reason(p.updates.check("d-00003", 1)));
        // d-00001 and d-00002 go silent; after the timeout their slots count no more
        p.clock.advance(Duration.ofSeconds(301));
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00003", 1));
        assertEquals(List.of("d-00000", "d-00001", "d-00002", "d-00003"), p.offeredOnLedger(r.id()));
        // 05:00 closes the window again: next opening tomorrow 02:00
        p.clock.set(Instant.parse("2026-03-02T05:00:00Z"));
        assertEquals(Duration.ofHours(21), ((UpdateAnswer.NoUpdate) p.updates.check("d-00004", 1)).retryAfter());
    }

    @Test
    void offersToUnauthenticatedRequestsTakeNoDownloadSlotUntilTheDeviceReports() throws Exception {
        p.fleet("d", 10, "eu");
        Release release = p.publish(2);
        Rollout r = running(release, new WaveSpec("all", new WaveSelector.Percent(100), 100, 50, false, null, 2));
        // anyone naming device ids over unencrypted CoAP: offered (the offers are recorded), but the cap keeps room
        for (int i = 0; i < 5; i++) {
            assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check(String.format("d-%05d", i), 1, false));
        }
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00005", 1));
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00006", 1));
        assertEquals("download-cap", reason(p.updates.check("d-00007", 1)));
        // an unauthenticated asker is held to the cap too: it gets no offer while the wave is full
        assertEquals("download-cap", reason(p.updates.check("d-00008", 1, false)));
        assertEquals(7, p.offeredOnLedger(r.id()).size());

        // d-00005 finishes; d-00000, offered unauthenticated, reports with its own key: it holds a slot from now on
        p.updates.report(p.report("d-00005", r.id(), release.id(), DeviceState.INSTALLED, 1));
        p.updates.report(p.report("d-00000", r.id(), release.id(), DeviceState.DOWNLOADING, 1));
        assertEquals("download-cap", reason(p.updates.check("d-00007", 1)));
        // the same once the book is replayed from the ledger (the flag is on the offer event)
        p.restart();
        assertEquals("download-cap", reason(p.updates.check("d-00007", 1)));
        p.updates.report(p.report("d-00000", r.id(), release.id(), DeviceState.INSTALLED, 2));
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00007", 1));
    }

    private Platform reopen() throws Exception {
        Map<String, Object> config = Map.copyOf(p.updateConfig);
        Platform fresh = new Platform(dir.resolve("again"));
        fresh.updateConfig.putAll(config);
        fresh.startServices();
        return fresh;
    }

    @Test
    void aStaleReportIsRecordedAboutNoRolloutAndMovesNoWave() throws Exception {
        p.fleet("d", 2, "eu");
        Release release = p.publish(2);
        Rollout r = running(release, wave("all", "percent:100", 100, 100, false));
        long before = p.count(EventTypes.DEVICE_REPORTED);

        // d-00001 was never offered anything: a stale report needs no offer, it is about the device's link
        byte[] stale = p.report("d-00001", null, Release.id(Platform.VENDOR, Platform.CLASS, 1), DeviceState.STALE, 1);
        var receipt = p.updates.report(stale);
        assertFalse(receipt.duplicate());
        assertEquals(before + 1, p.count(EventTypes.DEVICE_REPORTED), "on the ledger, for auditors");
        assertTrue(p.updates.report(stale).duplicate(), "a retransmission appends nothing");
        assertEquals(DeviceState.STALE, p.registry.find("d-00001").orElseThrow().state(), "device-list shows it");
        assertEquals(RolloutState.RUNNING, p.rollouts.find(r.id()).orElseThrow().state());
        assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00001", 1), "it is offered the release as before");

        p.restart(); // replayed: the report is known, no rollout counted it
        assertTrue(p.updates.report(stale).duplicate());
        assertEquals(0, p.rollouts.progress(r.id()).waves().get(0).failed());
        p.update("d-00001", DeviceState.INSTALLED);
    }

    @Test
    void reportsAreCheckedForSignatureOrderAndOffer() throws Exception {
        p.fleet("d", 3, "eu");
        Release release = p.publish(2);
        Rollout r = running(release, wave("all", "percent:100", 100, 100, false));
        p.updates.check("d-00000", 1);

        byte[] first = p.report("d-00000", r.id(), release.id(), DeviceState.DOWNLOADING, 1);
        var receipt = p.updates.report(first);
        assertFalse(receipt.duplicate());
        long reported = p.count(EventTypes.DEVICE_REPORTED);
        assertEquals(p.ledger.get(receipt.ledgerIndex()).event().payload().length, first.length);

        var again = p.updates.report(first);
        assertEquals(-1, again.ledgerIndex());
        assertTrue(again.duplicate());
        assertEquals(reported, p.count(EventTypes.DEVICE_REPORTED), "a retransmission appends nothing");

        byte[] second = p.report("d-00000", r.id(), release.id(), DeviceState.DOWNLOADED, 1);
        p.updates.report(second);
        assertEquals("stale", assertThrows(org.updraft.api.update.UpdateException.class, () -> p.updates.report(first)).code());

        // signed by another device's key
        p.deviceKeys.put("d-00000", p.deviceKeys.get("d-00001"));
        byte[] forged = p.report("d-00000", r.id(), release.id(), DeviceState.INSTALLED, 2);
        assertEquals("bad-signature", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.report(forged)).code());
        // d-00001 was never offered the release
        byte[] unoffered = p.report("d-00001", r.id(), release.id(), DeviceState.INSTALLED, 2);
        assertEquals("wrong-device", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.report(unoffered)).code());
        assertEquals("malformed", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.report(new byte[] { 1, 2, 3 })).code());
        assertEquals("unknown-device", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.check("ghost", 1)).code());
        assertEquals(reported + 1, p.count(EventTypes.DEVICE_REPORTED));
        assertEquals(DeviceState.DOWNLOADED, p.registry.find("d-00000").get().state());
    }

    @Test
    void aFailingRegistryOrLedgerIsAOneLineRefusal() throws Exception {
        p.fleet("d", 3, "eu");
        Release release = p.publish(2);
        Rollout r = running(release, wave("all", "percent:100", 100, 100, false));
        p.registry.down = true;
        var e = assertThrows(org.updraft.api.update.UpdateException.class, () -> p.updates.check("d-00000", 1));
        assertEquals("unavailable", e.code());
        assertEquals("the device registry is unavailable: the test registry is down", e.getMessage());
        p.registry.down = false;
        p.ledger.close();
        assertEquals("unavailable", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.check("d-00000", 1)).code());
        RolloutException le = assertThrows(RolloutException.class, () -> p.rollouts.pause(r.id(), "alice", null));
        assertEquals("ledger-failed", le.code());
        assertFalse(le.getMessage().contains("\n"), le.getMessage());
    }

    @Test
    void aRestartReplaysTheSameRolloutsAndCounters() throws Exception {
        List<String> ids = p.fleet("d", 40, "eu", "us");
        Release release = p.publish(2);
        Rollout r = running(release, wave("eu", "region:eu", 50, 30, true), wave("us", "region:us", 100, 30, false));
        for (int i = 0; i < 12; i++) {
            p.update(ids.get(2 * i), i % 6 == 5 ? DeviceState.FAILED : DeviceState.INSTALLED);
        }
        p.updates.check(ids.get(1), 1);
        p.updates.report(p.report(ids.get(1), r.id(), release.id(), DeviceState.DOWNLOADING, 1));
        RolloutProgress before = p.rollouts.progress(r.id());
        assertEquals(1, before.rollout().currentWave(), "eu passed at 50% and advanced");
        List<Rollout> all = p.rollouts.list();

        p.restart();
        assertEquals(all, p.rollouts.list());
        RolloutProgress after = p.rollouts.progress(r.id());
        assertEquals(before.rollout(), after.rollout());
        assertEquals(before.waves(), after.waves());
        // the replayed counters still refuse a stale report and keep the offers
        p.counters.put(ids.get(1), 0L); // the next report reuses counter 1, already recorded before the restart
        byte[] stale = p.report(ids.get(1), r.id(), release.id(), DeviceState.DOWNLOADED, 1);
        assertEquals("stale", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.report(stale)).code());
        assertEquals(Set.copyOf(p.offeredOnLedger(r.id())).size(), p.offeredOnLedger(r.id()).size(),
                "one offer event per device");
    }

    /**
     * An enrollment of {@code key} as an acme thermo, signed by it, carrying the device certificate {@code attester}
     * signed (none when null).
     */
    private byte[] enrollment(String id, SigningKey key, Set<String> tags, SigningKey attester) {
        byte[] attestation = attester == null ? null : DeviceAttestations.sign(new DeviceAttestations.Attestation(
                key.did(), Platform.VENDOR, Platform.CLASS, p.clock.instant()), attester);
        return Enrollments.sign(new Enrollment(id, key.did(), Platform.VENDOR, Platform.CLASS, null, tags, "eu",
                "1.0.0", 1, p.clock.instant(), attestation), key);
    }

    @Test
    void anEnrollmentNeedsTheCertificateATrustedManufacturerKeySignedForItsKey() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey stranger = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey otherDevice = SigningKey.generate(KeyAlgorithm.P256);
        String bad = "bad-signature";
        assertEquals(bad, assertThrows(UpdateException.class, () -> p.updates.enroll(enrollment("dev-a", key, Set.of(),
                null))).code(), "none at all");
        assertEquals(bad, assertThrows(UpdateException.class, () -> p.updates.enroll(enrollment("dev-a", key, Set.of(),
                stranger))).code(), "signed by a key nobody trusts");
        // a genuine certificate, for another device's key
        byte[] forOther = DeviceAttestations.sign(new DeviceAttestations.Attestation(otherDevice.did(),
                Platform.VENDOR, Platform.CLASS, p.clock.instant()), p.vendorKey);
        byte[] moved = Enrollments.sign(new Enrollment("dev-a", key.did(), Platform.VENDOR, Platform.CLASS, null,
                Set.of(), "eu", "1.0.0", 1, p.clock.instant(), forOther), key);
        assertTrue(assertThrows(UpdateException.class, () -> p.updates.enroll(moved)).getMessage()
                .contains("not for the enrolling"));
        assertEquals(0, p.count(EventTypes.DEVICE_ENROLLED), "nothing recorded for a refused one");

        assertEquals(key.did(), p.updates.enroll(enrollment("dev-a", key, Set.of(), p.vendorKey)).publicKey());

        // a manufacturer key revoked after a leak attests nothing any more
        SigningKey leaked = SigningKey.generate(KeyAlgorithm.ED25519);
        p.trust.register(leaked.did(), Platform.VENDOR, Set.of(), "alice");
        p.trust.revoke(leaked.did(), "leaked", "alice");
        SigningKey cloned = SigningKey.generate(KeyAlgorithm.ED25519);
        assertEquals(bad, assertThrows(UpdateException.class, () -> p.updates.enroll(enrollment("dev-b", cloned,
                Set.of(), leaked))).code());

        // switched off (a closed test network): any key enrolls, but a certificate it carries is still checked
        p.updateConfig.put("enrollment_attestation_required", false);
        p.startServices();
        assertEquals(cloned.did(), p.updates.enroll(enrollment("dev-c", cloned, Set.of(), null)).publicKey());
        assertEquals(bad, assertThrows(UpdateException.class, () -> p.updates.enroll(enrollment("dev-d", cloned,
                Set.of(), leaked))).code());
    }

    @Test
    void enrollmentRegistersOnceAndGuardsTheId() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] signed = enrollment("new-1", key, Set.of("beta"), p.vendorKey);
        assertEquals(key.did(), p.updates.enroll(signed).publicKey());
        assertEquals(Set.of("beta"), p.registry.find("new-1").get().tags());
        assertEquals(1, p.count(EventTypes.DEVICE_ENROLLED));
        p.updates.enroll(signed);
        assertEquals(1, p.count(EventTypes.DEVICE_ENROLLED), "enrolling again changes nothing");

        SigningKey other = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] taken = enrollment("new-1", other, Set.of(), p.vendorKey);
        assertEquals("exists", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.enroll(taken)).code());
        byte[] tampered = signed.clone();
        tampered[tampered.length - 1] ^= 1;
        assertEquals("bad-signature", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.enroll(tampered)).code());
        assertEquals(1, p.count(EventTypes.DEVICE_ENROLLED));
    }

    @Test
    void aCapturedEnrollmentDoesNotBringBackARemovedDevice() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] captured = enrollment("gone-1", key, Set.of(), p.vendorKey);
        p.updates.enroll(captured);
        assertTrue(p.registry.remove("gone-1"));

        var refused = assertThrows(org.updraft.api.update.UpdateException.class, () -> p.updates.enroll(captured));
        assertEquals("stale", refused.code(), refused.getMessage());
        assertTrue(p.registry.find("gone-1").isEmpty(), "the replay registered nothing");
        p.restart(); // the rule holds on what the ledger records, not on what this node remembers
        assertEquals("stale", assertThrows(org.updraft.api.update.UpdateException.class,
                () -> p.updates.enroll(captured)).code());
        assertEquals(1, p.count(EventTypes.DEVICE_ENROLLED));

        // the device itself, with its key, enrolls again
        p.clock.advance(Duration.ofSeconds(1));
        byte[] fresh = enrollment("gone-1", key, Set.of(), p.vendorKey);
        assertEquals(key.did(), p.updates.enroll(fresh).publicKey());
        assertEquals(2, p.count(EventTypes.DEVICE_ENROLLED));
    }

    @Test
    void bytesServedShowInProgress() throws Exception {
        p.fleet("d", 2);
        Release release = p.publish(2);
        Rollout r = running(release, wave("all", "percent:100", 100, 100, false));
        p.updates.bytesServed(release.id(), 1024);
        p.updates.bytesServed(release.id(), 976);
        p.updates.bytesServed("acme/thermo/1", 5000);
        assertEquals(2000, p.rollouts.progress(r.id()).bytesServed());
    }

    /** Two service instances over one ledger stand for two platform nodes. */
    @Test
    void nodesSharingTheLedgerAgreeAndAChangeThatLostARaceIsIgnored() throws Exception {
        p.fleet("d", 10, "eu");
        Release release = p.publish(2);
        Rollout r = running(release, wave("a", "percent:50", 100, 100, false), wave("b", "percent:100", 1, 1, false));
        RolloutEngineComponent engineB = new RolloutEngineComponent(Configs.defaults(
                RolloutEngineComponent.Config.class), p.ledger, p.registry, p.clock);
        PlatformRolloutService nodeB = new PlatformRolloutService(engineB, p.releases, p.trust);
        long started = r.ledgerIndex();
        p.rollouts.pause(r.id(), "alice", "looks odd");
        assertEquals(RolloutState.PAUSED, nodeB.find(r.id()).get().state(), "node B sees node A's pause");
        // a node that decided on the state before the pause appends its advance: it follows the start event
        p.ledger.append(new org.updraft.api.ledger.LedgerEvent(EventTypes.ROLLOUT_CHANGED, p.clock.instant(),
                p.ledger.logKey(), org.updraft.core.event.RolloutEvents.changed(new org.updraft.core.event.RolloutEvents.Changed(
                        r.id(), RolloutState.RUNNING, 1, "late", "bob", started)), null));
        for (PlatformRolloutService node : List.of(p.rollouts, nodeB)) {
            Rollout seen = node.find(r.id()).orElseThrow();
            assertEquals(RolloutState.PAUSED, seen.state());
            assertEquals(0, seen.currentWave());
            assertEquals("looks odd", seen.reason());
        }
        engineB.close();
        p.restart();
        assertEquals(RolloutState.PAUSED, p.rollouts.find(r.id()).get().state());
        assertEquals(RolloutState.RUNNING, p.rollouts.resume(r.id(), "alice").state());
    }
}
