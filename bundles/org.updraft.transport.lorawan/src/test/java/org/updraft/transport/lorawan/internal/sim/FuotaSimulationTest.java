package org.updraft.transport.lorawan.internal.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusAns;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.radio.DataRate;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.radio.Region;
import org.updraft.transport.lorawan.internal.session.DeviceResult;
import org.updraft.transport.lorawan.internal.session.DeviceResult.State;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.Participant;
import org.updraft.transport.lorawan.internal.session.SessionPlan;

/** FUOTA sessions run end to end against simulated devices in simulated time. */
class FuotaSimulationTest {

    private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
    private static final long CLASS_C_FREQUENCY = 869_525_000L;
    private static final long MC_ADDR = 0x0123_4567L;

    /** What one run made: the session, the network, and the image the devices had to rebuild. */
    private record Run(FuotaSession session, SimulatedNetwork network, byte[] image, List<String> refusalReports,
            boolean finished) {
    }

    private static String devEui(int i) {
        return String.format("70b3d57ed0%06x", i);
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static final class Fleet {
        final Random random;
        final List<Participant> participants = new ArrayList<>();
        final List<SimulatedDevice> devices = new ArrayList<>();
        final List<LossModel[]> losses = new ArrayList<>();
        final byte[] image;
        final byte[] digest;

        Fleet(long seed, int imageSize) throws Exception {
            random = new Random(seed);
            image = new byte[imageSize];
            random.nextBytes(image);
            digest = sha256(image);
        }

        void add(int i, Duration clockOffset, LossModel downlink, LossModel uplink) {
            byte[] key = new byte[16];
            random.nextBytes(key);
            participants.add(new Participant(devEui(i), key));
            devices.add(new SimulatedDevice(devEui(i), digest, clockOffset, 1 << 20, random));
            losses.add(new LossModel[] {downlink, uplink});
        }

        Run run(SessionPlan plan, double dutyCycle, java.util.function.Consumer<SimulatedNetwork> before) {
            List<String> reports = new ArrayList<>();
            List<Participant> list = participants;
            if (plan.multicast() == null) {
                list = participants.stream().map(p -> new Participant(p.devEui(), null)).toList();
            }
            SimulatedNetwork[] holder = new SimulatedNetwork[1];
            CountedRefusals refusals = new CountedRefusals(Duration.ofMinutes(1),
                    () -> holder[0] == null ? 0 : Duration.between(T0, holder[0].now()).toNanos(),
                    (kind, since, total, detail) -> reports.add(kind + " (" + total + "): " + detail));
            FuotaSession session = new FuotaSession(plan, image, list,
                    new DutyCycleBudget(Region.EU868, 0.01, Map.of("g3", dutyCycle)), refusals);
            SimulatedNetwork network = new SimulatedNetwork(session, T0, random);
            holder[0] = network;
            for (int i = 0; i < devices.size(); i++) {
                network.add(devices.get(i), losses.get(i)[0], losses.get(i)[1]);
            }
            before.accept(network);
            boolean finished = network.run(Duration.ofDays(2));
            return new Run(session, network, image, reports, finished);
        }
    }

    private static void print(String name, Run run, DataRate rate, double dutyCycle) {
        FuotaSession.Report r = run.session.report();
        long minimum = FuotaSession.minimumAirtimeMicros(run.image.length, rate);
        long done = run.session.results().stream().filter(d -> d.state() == State.DONE).count();
        Duration took = Duration.between(r.started(), r.finished());
        // the duty cycle alone keeps a session at least minimum / dutyCycle long
        double bound = minimum / dutyCycle / 1e6;
        System.out.printf("%s: %d bytes at %s, %.0f%% duty cycle: M=%d fragments of %d bytes; %d devices done of %d;"
                + " fragments sent %d (%d coded, redundancy used %.1f%% of M), %d repair rounds, %d downlinks;"
                + " fragment airtime %.3f s against the minimum %.3f s for the image (x%.2f), all downlinks %.3f s;"
                + " session %s (setup %s, fragments and repair %s) against the duty-cycle bound %.0f s (x%.2f); downlinks lost %d, uplinks %d (lost %d);"
                + " refused %s%n",
                name, run.image.length, rate, dutyCycle * 100, r.nbFrag(), r.fragSize(), done,
                run.session.results().size(), r.fragmentsSent(), r.codedSent(), 100.0 * r.codedSent() / r.nbFrag(),
                r.repairRounds(), r.downlinks(), r.fragmentAirtimeMicros() / 1e6, minimum / 1e6,
                (double) r.fragmentAirtimeMicros() / minimum, r.airtimeMicros() / 1e6, took,
                r.firstFragment() == null ? "-" : Duration.between(r.started(), r.firstFragment()),
                r.firstFragment() == null ? "-" : Duration.between(r.firstFragment(), r.finished()), bound,
                took.toMillis() / 1000.0 / bound, run.network.downlinksLost(), run.network.uplinksSent(),
                run.network.uplinksLost(), r.refused());
    }

    private static void assertEveryDeviceRebuiltTheImage(Run run) {
        for (DeviceResult result : run.session.results()) {
            assertEquals(State.DONE, result.state(), result.toString());
            SimulatedDevice device = run.network.device(result.devEui());
            assertTrue(device.verified(), result.devEui() + ": " + device.status());
            assertArrayEquals(run.image, device.block(), result.devEui());
        }
    }

    @Test
    void fiftyDevicesAtTwentyPercentLossAllComplete() throws Exception {
        Fleet fleet = new Fleet(14_2026L, 16 * 1024);
        for (int i = 0; i < 50; i++) {
            // clocks up to two minutes off; 20% loss both ways, every fifth device in bursts of 20 s
            Duration offset = Duration.ofSeconds(fleet.random.nextInt(241) - 120);
            LossModel down = i % 5 == 0 ? LossModel.bursts(0.2, Duration.ofSeconds(20)) : LossModel.random(0.2);
            fleet.add(i, offset, down, LossModel.random(0.2));
        }
        // at 20% loss each way an exchange fails 36% of the time: 8 tries of one fail together once in 3,600, and
        // with some 250 exchanges a session then lost a device for silence about once in 15 runs (a seed that passed
        // was luck, and the Class C start of each device's own drew another); 12 tries, once in 200,000
        SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR).withRedundancy(0.3)
                .withMaxAttempts(12).withRepairRounds(8);
        Run run = fleet.run(plan, 0.1, n -> { });
        run.refusalReports.forEach(System.out::println);
        run.session.results().stream().filter(d -> d.state() != State.DONE).forEach(System.out::println);
        DataRate dr5 = Region.EU868.dataRate(5);
        print("50 devices, 20% loss", run, dr5, 0.1);

        assertTrue(run.finished, "the session finishes");
        assertEveryDeviceRebuiltTheImage(run);
        for (SimulatedDevice d : run.network.deviceList()) {
            assertTrue(d.clockOffset().abs().compareTo(Duration.ofSeconds(2)) < 0,
                    d.devEui() + "'s clock was corrected: " + d.clockOffset());
        }
        FuotaSession.Report r = run.session.report();
        // DR5 carries 222 bytes of FRMPayload, 219 after the DataFragment header: ceil(16384 / 219) = 75
        assertEquals(75, r.nbFrag());
        assertTrue(r.codedSent() > 0 && r.fragmentsSent() == r.nbFrag() + r.codedSent(), r.toString());
        assertTrue(r.fragmentAirtimeMicros() >= FuotaSession.minimumAirtimeMicros(16 * 1024, dr5), r.toString());
        assertEquals(Map.of(), r.refused(), "nothing but the session's own traffic");
    }

    /**
     * Issue 14's flaky fleet test, without the broker: at M = 33 a device that lost both uncoded fragments 18 and 29
     * can rebuild them only from coded rows that hold exactly one of the two, and TS004 v1.0.0's generator sets the
     * two together or not at all in three rows of four (the shift register makes a position and its neighbours in
     * the next draw follow each other). Repairs of a fixed few fragments a round then ran out of rounds with the
     * device one fragment short and twenty redundant ones received: 16% of these sessions failed before repairs
     * grew for a device the last one did not help. Seeded, so it replays exactly.
     */
    @Test
    void sessionsAtTwentyPercentLossRepairEveryDeviceWithinTheDefaultRounds() throws Exception {
        int separating = 0;
        for (int n = 1; n <= 100; n++) {
            int[] row = org.updraft.transport.lorawan.internal.fec.ParityRows.indices(Ts004Version.V1_0_0, n, 33);
            boolean has18 = java.util.Arrays.stream(row).anyMatch(i -> i == 18);
            boolean has29 = java.util.Arrays.stream(row).anyMatch(i -> i == 29);
            separating += has18 != has29 ? 1 : 0;
        }
        assertEquals(25, separating, "rows of the first 100 that tell fragments 18 and 29 of 33 apart");
        List<String> failed = new ArrayList<>();
        int sessions = 0;
        for (long seed = 1; seed <= 40; seed++) {
            for (boolean multicast : new boolean[] {false, true}) {
                Fleet fleet = new Fleet(seed, 7118);
                for (int i = 0; i < 20; i++) {
                    fleet.add(i, Duration.ZERO, LossModel.random(0.2), LossModel.random(0.2));
                }
                // the default 5 repair rounds; attempts enough that no device ends for silence
                SessionPlan plan = multicast ? SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR)
                        .withMaxAttempts(30) : SessionPlan.unicast(Region.EU868, 5, CLASS_C_FREQUENCY).withMaxAttempts(30);
                Run run = fleet.run(plan, 0.1, n -> { });
                assertEquals(33, run.session.nbFrag());
                sessions++;
                for (DeviceResult r : run.session.results()) {
                    if (r.state() != State.DONE) {
                        failed.add("seed " + seed + (multicast ? " multicast: " : " unicast: ") + r + "; the device: "
                                + run.network.device(r.devEui()).status());
                    }
                }
                if (failed.isEmpty()) {
                    assertEveryDeviceRebuiltTheImage(run);
                }
            }
        }
        assertEquals(List.of(), failed, "of " + sessions + " sessions");
    }

    @Test
    void tooLittleRedundancyEndsTheLossyDevicesFailedWithTheReason() throws Exception {
        Fleet fleet = new Fleet(7L, 8 * 1024);
        for (int i = 0; i < 6; i++) {
            // the last two lose half of what is sent to them
            fleet.add(i, Duration.ZERO, i >= 4 ? LossModel.random(0.5) : LossModel.none(), LossModel.none());
        }
        SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR).withRedundancy(0)
                .withRepairRounds(0).withMaxAttempts(20);
        Run run = fleet.run(plan, 0.1, n -> { });
        print("no redundancy, no repair", run, Region.EU868.dataRate(5), 0.1);
        assertTrue(run.finished);
        Pattern stillMissing = Pattern.compile("still missing (\\d+) fragments after 0 repair rounds \\((\\d+) received\\)");
        int reportedMissing = 0;
        for (DeviceResult result : run.session.results()) {
            SimulatedDevice device = run.network.device(result.devEui());
            if (result.devEui().equals(devEui(4)) || result.devEui().equals(devEui(5))) {
                assertEquals(State.FAILED, result.state(), result.toString());
                assertTrue(!device.verified(), "it could not rebuild the block from half the fragments");
                Matcher m = stillMissing.matcher(result.reason());
                if (m.matches()) {
                    // what the device reported in its FragSessionStatusAns, from its own decoder
                    assertEquals(device.status().missing(), Integer.parseInt(m.group(1)), result.toString());
                    assertEquals(device.status().received(), Integer.parseInt(m.group(2)), result.toString());
                    reportedMissing++;
                } else {
                    assertEquals("never answered a status request, after 0 repair rounds", result.reason());
                }
            } else {
                assertEquals(State.DONE, result.state(), result.toString());
                assertTrue(device.verified());
            }
        }
        assertTrue(reportedMissing > 0, "at least one lossy device reported what it lacks");
        assertEquals(0, run.session.report().codedSent());
    }

    @Test
    void aDeviceLosingMostFragmentsIsRepairedByMoreRedundancy() throws Exception {
        Fleet fleet = new Fleet(8L, 8 * 1024);
        for (int i = 0; i < 6; i++) {
            // device 5 sits in bursts half the time, 30 s on average
            fleet.add(i, Duration.ZERO, i == 5 ? LossModel.bursts(0.5, Duration.ofSeconds(30)) : LossModel.random(0.1),
                    LossModel.none());
        }
        SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR).withRedundancy(0.1)
                .withRepairRounds(10).withMaxAttempts(20);
        Run run = fleet.run(plan, 0.1, n -> { });
        print("one device in long bursts", run, Region.EU868.dataRate(5), 0.1);
        assertTrue(run.finished);
        assertEveryDeviceRebuiltTheImage(run);
        FuotaSession.Report r = run.session.report();
        assertTrue(r.repairRounds() >= 1, r.toString());
        int m = r.nbFrag();
        assertTrue(r.codedSent() > Math.ceil(0.1 * m), "more than the first 10% of redundancy went out: " + r);
    }

    @Test
    void strayUplinksAreCountedAndTheSessionGoesOn() throws Exception {
        Fleet fleet = new Fleet(9L, 4 * 1024);
        for (int i = 0; i < 10; i++) {
            fleet.add(i, Duration.ofSeconds(i * 7 - 30), LossModel.none(), LossModel.none());
        }
        SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR);
        Fragmentation ts004 = Fragmentation.of(Ts004Version.V1_0_0);
        byte[] statusAns = ts004.encode(new FragSessionStatusAns(0, 10, 0, false, false, false));
        byte[] otherSession = ts004.encode(new FragSessionStatusAns(2, 10, 0, false, false, false));
        Run run = fleet.run(plan, 0.1, network -> {
            network.replayUplinks(true);
            network.injectFromStranger(T0.plusSeconds(2), "ffffffffffffffff", 0, 201, statusAns);
            network.injectFromDevice(T0.plusSeconds(3), devEui(1), 5, new byte[] {1, 2, 3});
            network.injectFromDevice(T0.plusSeconds(4), devEui(2), 201, new byte[] {0x7F});
            network.injectFromDevice(T0.plusSeconds(5), devEui(3), 201, HexFormat.of().parseHex("0102"));
            // a status answer before anyone asked, and one for another fragmentation session
            network.injectFromDevice(T0.plusSeconds(6), devEui(4), 201, statusAns);
            network.injectFromDevice(T0.plusSeconds(7), devEui(5), 201, otherSession);
        });
        print("stray uplinks", run, Region.EU868.dataRate(5), 0.1);
        run.refusalReports.forEach(System.out::println);
        assertTrue(run.finished);
        assertEveryDeviceRebuiltTheImage(run);
        Map<String, Long> refused = run.session.report().refused();
        assertEquals(1L, refused.get("device-outside-session"));
        assertEquals(1L, refused.get("wrong-port"));
        assertEquals(2L, refused.get("malformed"), "an unknown CID and a FragSessionStatusAns cut short");
        assertEquals(2L, refused.get("out-of-session"));
        assertTrue(run.network.replaysDelivered() > 20, "every uplink came twice");
        assertEquals((long) run.network.replaysDelivered(), refused.get("replayed"));
        // each kind reported at once the first time: an operator sees it
        for (String kind : List.of("device-outside-session", "wrong-port", "malformed", "out-of-session",
                "replayed")) {
            assertTrue(run.refusalReports.stream().anyMatch(line -> line.startsWith(kind + " (1): ")), kind);
        }
    }

    @Test
    void aUnicastSessionSendsEachDeviceItsOwnFragments() throws Exception {
        Fleet fleet = new Fleet(10L, 4 * 1024);
        for (int i = 0; i < 3; i++) {
            fleet.add(i, Duration.ZERO, LossModel.random(0.1), LossModel.random(0.1));
        }
        SessionPlan plan = SessionPlan.unicast(Region.EU868, 5, CLASS_C_FREQUENCY).withMaxAttempts(10);
        Run run = fleet.run(plan, 0.1, n -> { });
        print("unicast", run, Region.EU868.dataRate(5), 0.1);
        assertTrue(run.finished);
        assertEveryDeviceRebuiltTheImage(run);
        FuotaSession.Report r = run.session.report();
        assertTrue(r.fragmentsSent() >= 3 * r.nbFrag(), r.toString());
    }

    @Test
    void withoutClockSyncALateClockMissesTheStartOfTheSession() throws Exception {
        for (boolean sync : new boolean[] {false, true}) {
            Fleet fleet = new Fleet(11L, 8 * 1024);
            // device 0's clock is two minutes behind: it opens its Class C window two minutes late
            fleet.add(0, Duration.ofSeconds(-120), LossModel.none(), LossModel.none());
            fleet.add(1, Duration.ZERO, LossModel.none(), LossModel.none());
            SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR).withClockSync(sync);
            Run run = fleet.run(plan, 0.1, n -> { });
            print(sync ? "clock checked" : "clock not checked", run, Region.EU868.dataRate(5), 0.1);
            assertTrue(run.finished);
            assertEveryDeviceRebuiltTheImage(run);
            int missed = run.network.device(devEui(0)).fragmentsMissedWindowClosed();
            if (sync) {
                assertEquals(0, missed);
                assertEquals(0, run.session.report().repairRounds());
            } else {
                // 120 s at one fragment every 10 x 0.369 s = 3.69 s: 32 or 33 fragments
                assertTrue(missed >= 32 && missed <= 33, "missed " + missed);
                assertTrue(run.session.report().repairRounds() >= 1);
            }
        }
    }

    /**
     * A device whose first McClassCSessionReq and its retry are lost is not held to the common start: its third
     * request gives it a start of its own, later than the others', and it joins the fragments under way. It hears
     * nothing of the multicast before that start, its window still lasts past the session's end, and the repair
     * rounds make up what it missed. Before, every device got one start, placed after enough tries of everyone's
     * request, and the whole group waited for it.
     */
    @Test
    void aDeviceWhoseClassCRequestsAreLostJoinsLaterWithAStartOfItsOwn() throws Exception {
        Fleet fleet = new Fleet(13L, 8 * 1024);
        for (int i = 0; i < 6; i++) {
            fleet.add(i, Duration.ZERO, LossModel.none(), LossModel.none());
        }
        String late = devEui(3);
        int[] lost = {0};
        SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR);
        Run run = fleet.run(plan, 0.1, network -> network.lose((devEui, t) -> {
            // TS005's McClassCSessionReq: port 200, CID 0x04
            boolean classC = t.fPort() == MulticastSetup.PORT && t.frame().length > 0 && t.frame()[0] == 0x04;
            return devEui.equals(late) && classC && lost[0]++ < 2;
        }));
        print("two Class C requests lost", run, Region.EU868.dataRate(5), 0.1);
        assertTrue(run.finished);
        assertEquals(3, lost[0], "three requests to the late device, the first two lost");
        assertEveryDeviceRebuiltTheImage(run);
        FuotaSession.Report r = run.session.report();
        SimulatedDevice joined = run.network.device(late);
        Instant common = run.network.device(devEui(0)).classCWindowOpens();
        for (SimulatedDevice d : run.network.deviceList()) {
            if (d != joined) {
                assertEquals(common, d.classCWindowOpens(), d.devEui());
                assertEquals(0, d.fragmentsBeforeStart(), d.devEui());
            }
            assertTrue(d.classCWindowCloses().isAfter(r.finished()), d.devEui() + "'s window lasts the session");
            assertEquals(0, d.fragmentsMissedWindowClosed(), d.devEui());
        }
        // its third request went two answer timeouts (30 s each) after its first, which left about one answer
        // timeout before the common start
        assertTrue(joined.classCWindowOpens().isAfter(common.plusSeconds(25)),
                "later than the others: " + joined.classCWindowOpens() + " against " + common);
        assertTrue(!r.firstFragment().isAfter(common), "the fragments did not wait for it: " + r.firstFragment());
        // the fragments that went out before its start reached its radio and were not taken
        int before = joined.fragmentsBeforeStart();
        assertTrue(before >= 5, "fragments before its start: " + before);
        assertTrue(r.repairRounds() >= 1, r.toString());
        // it rebuilt the block from what it heard after its start alone
        assertTrue(joined.status().received() <= r.fragmentsSent() - before, joined.status().toString());
    }

    @Test
    void randomFramesFromTheDevicesNeverBreakTheSession() throws Exception {
        Fleet fleet = new Fleet(12L, 4 * 1024);
        for (int i = 0; i < 8; i++) {
            fleet.add(i, Duration.ofSeconds(i - 4), LossModel.random(0.1), LossModel.random(0.1));
        }
        SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, CLASS_C_FREQUENCY, MC_ADDR).withMaxAttempts(8)
                .withRepairRounds(8);
        Random noise = new Random(99);
        int[] injected = {0};
        Run run = fleet.run(plan, 0.1, network -> {
            // 400 frames of 0 to 20 random bytes (often a valid CID first) on ports 199 to 203, over the first ten minutes, while the session runs
            for (int k = 0; k < 400; k++) {
                byte[] frame = new byte[noise.nextInt(21)];
                noise.nextBytes(frame);
                if (frame.length > 0 && noise.nextBoolean()) {
                    frame[0] = (byte) noise.nextInt(5);
                }
                network.injectFromDevice(T0.plusMillis(noise.nextInt(600_000)), devEui(noise.nextInt(8)),
                        199 + noise.nextInt(5), frame);
                injected[0]++;
            }
        });
        print("400 random frames", run, Region.EU868.dataRate(5), 0.1);
        assertTrue(run.finished, "the session finishes");
        long refused = run.session.report().refused().values().stream().mapToLong(Long::longValue).sum();
        // most of the noise does not decode or is unasked for; what a device's own frame says is taken as said
        assertTrue(refused > injected[0] / 2, refused + " of " + injected[0] + " refused");
        // a device that forged "nothing missing" may be counted done without its block: the signed report after
        // reboot is what proves it (not built yet); every device that rebuilt its block holds the image
        for (SimulatedDevice d : run.network.deviceList()) {
            if (d.block() != null) {
                assertArrayEquals(run.image, d.block());
            }
        }
    }
}
