package org.updraft.transport.lorawan.internal.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.transport.lorawan.internal.fuota.DataBlockMic;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.radio.Region;
import org.updraft.transport.lorawan.internal.session.DeviceResult;
import org.updraft.transport.lorawan.internal.session.DeviceResult.State;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.Participant;
import org.updraft.transport.lorawan.internal.session.SessionPlan;

/** TS004 v2.0.0 sessions end to end against simulated devices that check SessionCnt and the block's MIC. */
class FuotaV2SimulationTest {

    private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
    private static final long CLASS_C_FREQUENCY = 869_525_000L;
    private static final long MC_ADDR = 0x0123_4567L;

    private static String devEui(int i) {
        return String.format("70b3d57ed1%06x", i);
    }

    private static SessionPlan multicast() {
        return SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR).withVersion(Ts004Version.V2_0_0)
                .withRedundancy(0.3).withMaxAttempts(12).withRepairRounds(8);
    }

    private static SessionPlan unicast() {
        return SessionPlan.unicast(Region.EU868, 5, CLASS_C_FREQUENCY).withVersion(Ts004Version.V2_0_0)
                .withRedundancy(0.3).withMaxAttempts(12).withRepairRounds(8);
    }

    /** Devices, each with its own root key; the session is told {@code sessionKeys}' DataBlockIntKey. */
    private static final class Fleet {
        final Random random;
        final byte[] image;
        final byte[] digest;
        final List<Participant> participants = new ArrayList<>();
        final List<SimulatedDevice> devices = new ArrayList<>();
        final List<String> refusals = new ArrayList<>();

        Fleet(long seed, int imageSize) throws Exception {
            random = new Random(seed);
            image = new byte[imageSize];
            random.nextBytes(image);
            digest = MessageDigest.getInstance("SHA-256").digest(image);
        }

        /** A device whose DataBlockIntKey comes from {@code deviceRoot} and the session's from {@code serverRoot}. */
        void add(SimulatedDevice device, byte[] deviceRoot, byte[] serverRoot, int lastSessionCnt, int sessionCnt,
                boolean multicast) {
            byte[] mcKey = new byte[16];
            random.nextBytes(mcKey);
            device.runTs004V2(DataBlockMic.dataBlockIntKey(deviceRoot), lastSessionCnt);
            devices.add(device);
            participants.add(new Participant(device.devEui(), multicast ? mcKey : null)
                    .withBlockIntegrity(DataBlockMic.dataBlockIntKey(serverRoot), sessionCnt));
        }

        SimulatedDevice device(int i) {
            return new SimulatedDevice(devEui(i), digest, Duration.ZERO, 1 << 20, random);
        }

        byte[] rootKey() {
            byte[] key = new byte[16];
            random.nextBytes(key);
            return key;
        }

        SimulatedNetwork run(SessionPlan plan, double loss) {
            return run(plan, loss, n -> { });
        }

        SimulatedNetwork run(SessionPlan plan, double loss, java.util.function.Consumer<SimulatedNetwork> before) {
            FuotaSession session = new FuotaSession(plan, image, participants,
                    new DutyCycleBudget(Region.EU868, 0.01, Map.of("g3", 0.1)),
                    new CountedRefusals(Duration.ZERO, () -> 0,
                            (kind, since, total, detail) -> refusals.add(kind + ": " + detail)));
            SimulatedNetwork network = new SimulatedNetwork(session, T0, random);
            for (SimulatedDevice d : devices) {
                network.add(d, LossModel.random(loss), LossModel.random(loss));
            }
            before.accept(network);
            assertTrue(network.run(Duration.ofDays(2)), "the session finishes");
            results = session.results();
            report = session.report();
            return network;
        }

        List<DeviceResult> results;
        FuotaSession.Report report;
    }

    private static void assertEveryDeviceCheckedTheMicAndHasTheImage(Fleet fleet, int sessionCnt) {
        for (DeviceResult r : fleet.results) {
            assertEquals(State.DONE, r.state(), r.toString());
        }
        for (SimulatedDevice d : fleet.devices) {
            assertTrue(d.micChecked(), d.devEui() + " checked the block's MIC");
            assertFalse(d.micError(), d.devEui());
            assertTrue(d.verified(), d.devEui() + ": " + d.status());
            assertArrayEquals(fleet.image, d.block(), d.devEui());
            assertEquals(sessionCnt, d.lastSessionCnt(), d.devEui());
        }
    }

    @Test
    void aMulticastSessionAtTwentyPercentLossCompletesWithEveryMicChecked() throws Exception {
        Fleet fleet = new Fleet(2026_04L, 12 * 1024);
        for (int i = 0; i < 20; i++) {
            byte[] root = fleet.rootKey();
            fleet.add(fleet.device(i), root, root, i % 3 == 0 ? -1 : i, 40, true);
        }
        fleet.run(multicast(), 0.2);
        assertEveryDeviceCheckedTheMicAndHasTheImage(fleet, 40);
        assertEquals(List.of(), fleet.refusals);
    }

    @Test
    void aUnicastSessionAtTwentyPercentLossCompletesWithEveryMicChecked() throws Exception {
        Fleet fleet = new Fleet(2026_05L, 7 * 1024);
        for (int i = 0; i < 8; i++) {
            byte[] root = fleet.rootKey();
            fleet.add(fleet.device(i), root, root, 3, 4, false);
        }
        fleet.run(unicast(), 0.2);
        assertEveryDeviceCheckedTheMicAndHasTheImage(fleet, 4);
        assertEquals(List.of(), fleet.refusals);
    }

    @Test
    void aDeviceWithAnotherDataBlockIntKeyEndsFailedWithMicErrorAndHandsNothingOn() throws Exception {
        for (boolean multicast : new boolean[] {true, false}) {
            Fleet fleet = new Fleet(2026_06L, 4 * 1024);
            AtomicInteger handedOn = new AtomicInteger();
            for (int i = 0; i < 4; i++) {
                byte[] root = fleet.rootKey();
                if (i == 2) {
                    // the server holds another root key for it than the device: the device's MIC check fails
                    SimulatedDevice d = new SimulatedDevice(devEui(i), (block, at) -> {
                        handedOn.incrementAndGet();
                        return List.of();
                    }, Duration.ZERO, 1 << 20, fleet.random);
                    fleet.add(d, root, fleet.rootKey(), -1, 1, multicast);
                } else {
                    fleet.add(fleet.device(i), root, root, -1, 1, multicast);
                }
            }
            fleet.run(multicast ? multicast() : unicast(), 0.2);
            for (DeviceResult r : fleet.results) {
                if (r.devEui().equals(devEui(2))) {
                    assertEquals(State.FAILED, r.state(), r.toString());
                    assertEquals(FuotaSession.MIC_ERROR, r.reason());
                } else {
                    assertEquals(State.DONE, r.state(), r.toString());
                }
            }
            SimulatedDevice wrong = fleet.devices.get(2);
            assertTrue(wrong.micChecked() && wrong.micError(), "it rebuilt the block and its check failed");
            assertNull(wrong.block(), "nothing handed on");
            assertEquals(0, handedOn.get(), "its firmware never saw a block");
        }
    }

    @Test
    void aReplayedSessionCntIsRefusedAndTheDeviceKeepsItsCounter() throws Exception {
        Fleet fleet = new Fleet(2026_07L, 2 * 1024);
        byte[] root = fleet.rootKey();
        byte[] other = fleet.rootKey();
        // the first device last accepted 9 and is offered 9 again; the second is offered 10 after 9
        fleet.add(fleet.device(0), root, root, 9, 9, false);
        fleet.add(fleet.device(1), other, other, 9, 10, false);
        fleet.run(unicast(), 0);
        DeviceResult replayed = fleet.results.get(0);
        assertEquals(State.FAILED, replayed.state());
        assertEquals("refused the fragmentation session: SessionCnt 9 not above its last (replay)", replayed.reason());
        assertEquals(State.DONE, fleet.results.get(1).state());
        assertEquals(9, fleet.devices.get(0).lastSessionCnt());
        assertNull(fleet.devices.get(0).block());
        assertEquals(10, fleet.devices.get(1).lastSessionCnt());

        // the very same setup again, once the device has the block (a captured frame replayed): refused too
        Fleet again = new Fleet(2026_07L, 2 * 1024);
        SimulatedDevice device = fleet.devices.get(1);
        again.devices.add(device);
        again.participants.add(new Participant(device.devEui(), null)
                .withBlockIntegrity(DataBlockMic.dataBlockIntKey(other), 10));
        again.run(unicast(), 0);
        assertEquals(State.FAILED, again.results.get(0).state());
        assertTrue(again.results.get(0).reason().contains("replay"), again.results.get(0).reason());
        assertArrayEquals(fleet.image, device.block(), "it kept the block of the session it accepted");
    }

    /**
     * v2.0.0's rows each set exactly M/2 distinct fragments; at M = 33 that is 16, an even number, so no number of
     * coded fragments tells the XOR of all 33: a device that heard none of the uncoded ones (it joined late, or lost
     * them) stays one fragment short. The session sends it uncoded fragments again.
     */
    @Test
    void aDeviceThatHeardNoUncodedFragmentIsSentSomeAgain() throws Exception {
        for (boolean multicast : new boolean[] {true, false}) {
            Fleet fleet = new Fleet(2026_09L, 7118);
            for (int i = 0; i < 4; i++) {
                byte[] root = fleet.rootKey();
                fleet.add(fleet.device(i), root, root, -1, 1, multicast);
            }
            java.util.Set<Integer> heardOnce = new java.util.HashSet<>();
            fleet.run(multicast ? multicast() : unicast(), 0, network -> network.lose((devEui, t) -> devEui.equals(
                    devEui(0)) && t.fragmentCounter() >= 1 && t.fragmentCounter() <= 33
                    && heardOnce.add(t.fragmentCounter())));
            assertEquals(33, fleet.report.nbFrag());
            assertEquals(33, heardOnce.size(), "device 0 lost the first copy of every uncoded fragment");
            assertEveryDeviceCheckedTheMicAndHasTheImage(fleet, 1);
            assertTrue(fleet.report.fragmentsSent() > fleet.report.nbFrag() * (multicast ? 1 : 4)
                    + fleet.report.codedSent(), "uncoded fragments went out again: " + fleet.report);
        }
    }
}
