package org.updraft.transport.lorawan.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.transport.lorawan.internal.fuota.Direction;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusReq;
import org.updraft.transport.lorawan.internal.fuota.FuotaCodecException;
import org.updraft.transport.lorawan.internal.fuota.FuotaCommand;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McClassCSessionReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupSetupAns;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupSetupReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McSessionAns;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.radio.Region;

/** The session engine driven by hand: its frames, its pacing, its answers to bad plans. */
class FuotaSessionTest {

    private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
    private static final long G1 = 868_100_000L;
    private static final String DEV = "0011223344556677";

    private static CountedRefusals refusals(List<String> lines) {
        return new CountedRefusals(Duration.ZERO, () -> 0, (kind, since, total, detail) -> lines.add(kind));
    }

    @Test
    void aUnicastSessionAsksForSetupThenSendsFragmentsPacedByTheDutyCycle() throws FuotaCodecException {
        List<String> refused = new ArrayList<>();
        byte[] block = new byte[500];
        SessionPlan plan = SessionPlan.unicast(Region.EU868, 3, G1).withRedundancy(0);
        FuotaSession session = new FuotaSession(plan, block, List.of(new Participant(DEV, null)),
                new DutyCycleBudget(Region.EU868), refusals(refused));
        assertNull(session.nextWake(), "nothing before the first poll");
        List<Transmission> first = session.poll(T0);
        assertEquals(1, first.size());
        Transmission setup = first.get(0);
        assertEquals(DEV, setup.devEui());
        assertEquals(Fragmentation.PORT, setup.fPort());
        // DR3 carries 115 - 3 = 112 byte fragments: 500 bytes are ceil(4.46) = 5 fragments, 60 bytes of padding
        FragSessionSetupReq req = (FragSessionSetupReq) Fragmentation.of(Ts004Version.V1_0_0)
                .decode(Direction.DOWNLINK, setup.frame()).get(0);
        assertEquals(5, req.nbFrag());
        assertEquals(112, req.fragSize());
        assertEquals(60, req.padding());
        assertEquals(0, req.mcGroupBitMask(), "unicast");
        // the answer's deadline: the frame's end plus 30 s
        Instant deadline = T0.plus(Duration.ofNanos(setup.airtimeMicros() * 1000)).plusSeconds(30);
        assertEquals(deadline, session.nextWake());
        session.onUplink(DEV, 0, Fragmentation.PORT, Fragmentation.of(Ts004Version.V1_0_0)
                .encode(new FragSessionSetupAns(0, false, false, false, false, false)), T0.plusSeconds(2));
        assertEquals(FuotaSession.Phase.FRAGMENTS, session.phase());
        // at 1% the channel is silent for 100 times the setup frame's airtime
        Instant next = T0.plus(Duration.ofNanos(setup.airtimeMicros() * 100 * 1000));
        assertEquals(next, session.nextWake());
        assertEquals(List.of(), session.poll(T0.plusSeconds(3)));
        Transmission fragment = session.poll(next).get(0);
        assertEquals(1, fragment.fragmentCounter());
        // CID, IndexAndN and 112 bytes
        assertEquals(115, fragment.frame().length);
        assertEquals(List.of(), refused);
    }

    @Test
    void aDeviceThatNeverAnswersEndsFailedAfterItsAttempts() {
        List<String> refused = new ArrayList<>();
        SessionPlan plan = SessionPlan.unicast(Region.EU868, 5, G1);
        FuotaSession session = new FuotaSession(plan, new byte[100], List.of(new Participant(DEV, null)),
                new DutyCycleBudget(Region.EU868), refusals(refused));
        int sent = session.poll(T0).size();
        for (Instant at = session.nextWake(); at != null; at = session.nextWake()) {
            sent += session.poll(at).size();
        }
        assertEquals(3, sent, "three FragSessionSetupReq");
        assertEquals(FuotaSession.Phase.FINISHED, session.phase());
        DeviceResult result = session.results().get(0);
        assertEquals(DeviceResult.State.FAILED, result.state());
        assertEquals("no FragSessionSetupAns after 3 attempts", result.reason());
    }

    @Test
    void badPlansAndParticipantsAreRefused() {
        CountedRefusals r = refusals(new ArrayList<>());
        DutyCycleBudget budget = new DutyCycleBudget(Region.EU868);
        SessionPlan multicast = SessionPlan.multicast(Region.EU868, 5, 869_525_000L, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FuotaSession(multicast,
                new byte[10], List.of(new Participant(DEV, null)), budget, r));
        assertEquals(DEV + " has no McKey_encrypted for the multicast group", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FuotaSession(SessionPlan.unicast(Region.EU868, 5,
                G1), new byte[10], List.of(new Participant(DEV, null), new Participant(DEV, null)), budget, r));
        assertEquals(DEV + " is listed twice", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Participant("0011", null));
        e = assertThrows(IllegalArgumentException.class, () -> SessionPlan.unicast(Region.EU868, 0, G1)
                .withFragSize(49));
        assertEquals("DR0 carries fragments of at most 48 bytes, not 49", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SessionPlan(Region.EU868, 5, G1,
                Ts004Version.V2_0_0, 0, 0, 0, 0.1, 0, 5, 3, Duration.ofSeconds(30), false, null));
        assertTrue(e.getMessage().contains("v2.0.0 needs the data block's MIC"), e.getMessage());
        // 16383 fragments of 48 bytes at DR0 and 1% do not fit a Class C session of 2^15 s
        e = assertThrows(IllegalArgumentException.class, () -> new FuotaSession(SessionPlan.multicast(Region.EU868,
                0, 869_525_000L, 1), new byte[100_000], List.of(new Participant(DEV, new byte[16])), budget, r));
        assertTrue(e.getMessage().contains("more than a TS005 session's 2^15 s"), e.getMessage());
    }

    /**
     * Issue 14's flaky fleet: a device one fragment short whose repairs reached it but told it nothing new (TS004
     * v1.0.0's rows rarely separate some pairs of lost fragments) was sent the same three fragments a round until
     * its rounds ran out. Now each round whose fragments arrived without helping doubles the next repair; a round
     * whose fragments were lost on the air (its received count did not rise) does not.
     */
    @Test
    void aDeviceTheLastRepairDidNotHelpIsSentTwiceAsMuchNext() throws FuotaCodecException {
        Fragmentation ts004 = Fragmentation.of(Ts004Version.V1_0_0);
        SessionPlan plan = SessionPlan.unicast(Region.EU868, 5, G1).withRepairRounds(8);
        FuotaSession session = new FuotaSession(plan, new byte[7118], List.of(new Participant(DEV, null)),
                new DutyCycleBudget(Region.EU868), refusals(new ArrayList<>()));
        assertEquals(33, session.nbFrag());
        Instant at = T0;
        session.poll(at);
        session.onUplink(DEV, 0, Fragmentation.PORT, ts004.encode(new FragSessionSetupAns(0, false, false, false,
                false, false)), at.plusSeconds(2));
        // what the device says after each batch of fragments: received, missing
        int[][] answers = {{30, 1}, {33, 1}, {39, 1}, {39, 1}, {45, 0}};
        List<Integer> batches = new ArrayList<>();
        long fCnt = 1;
        for (int[] answer : answers) {
            int fragments = 0;
            while (true) {
                at = session.nextWake();
                List<Transmission> sent = session.poll(at);
                if (sent.isEmpty()) {
                    continue;
                }
                if (sent.get(0).fragmentCounter() > 0) {
                    fragments++;
                    continue;
                }
                break;
            }
            batches.add(fragments);
            session.onUplink(DEV, fCnt++, Fragmentation.PORT, ts004.encode(new FragSessionStatusAns(0, answer[0],
                    answer[1], false, false, false)), at.plusSeconds(5));
        }
        // 33 + 10%, then 3 for one missing fragment at 80% delivered; then 6 and 12 as the device stalls on it; 12
        // again after a round it heard nothing of
        assertEquals(List.of(37, 3, 6, 12, 12), batches);
        assertEquals(FuotaSession.Phase.FINISHED, session.phase());
        assertEquals(DeviceResult.State.DONE, session.results().get(0).state());
        assertEquals(37 + 3 + 6 + 12 + 12, session.report().fragmentsSent());
    }

    /**
     * Unicast: a status answer that comes after its own deadline, while the round still waits for another device's,
     * is this round's answer; refusing it (as before) made the device silent for the round, and with it the 11 to 45
     * refusals of each SimulatedLorawanFleetTest run, where real-time jitter delays answers by a minute of session time.
     */
    @Test
    void aStatusAnswerAfterItsDeadlineCountsWhileTheRoundIsOpen() throws FuotaCodecException {
        Fragmentation ts004 = Fragmentation.of(Ts004Version.V1_0_0);
        String other = "8899aabbccddeeff";
        List<String> refused = new ArrayList<>();
        SessionPlan plan = SessionPlan.unicast(Region.EU868, 5, G1).withMaxAttempts(1);
        FuotaSession session = new FuotaSession(plan, new byte[500], List.of(new Participant(DEV, null),
                new Participant(other, null)), new DutyCycleBudget(Region.EU868), refusals(refused));
        byte[] setupAns = ts004.encode(new FragSessionSetupAns(0, false, false, false, false, false));
        // each device answers its setup at once; then the fragments, then a status request to each
        List<Transmission> statusRequests = new ArrayList<>();
        Instant at = T0;
        while (statusRequests.size() < 2) {
            for (Transmission t : session.poll(at)) {
                Object command = ts004.decode(Direction.DOWNLINK, t.frame()).get(0);
                if (command instanceof FragSessionSetupReq) {
                    session.onUplink(t.devEui(), 0, Fragmentation.PORT, setupAns, at);
                } else if (t.fragmentCounter() == 0) {
                    statusRequests.add(t);
                }
            }
            at = session.nextWake();
        }
        Transmission first = statusRequests.get(0);
        String late = first.devEui();
        String onTime = statusRequests.get(1).devEui();
        Instant deadline = first.start().plus(Duration.ofNanos(first.airtimeMicros() * 1000)).plusSeconds(16 + 30);
        assertEquals(deadline, session.nextWake());
        assertEquals(List.of(), session.poll(deadline));
        assertEquals(FuotaSession.Phase.STATUS, session.phase(), "the other device's answer is still awaited");
        byte[] complete = ts004.encode(new FragSessionStatusAns(0, 4, 0, false, false, false));
        session.onUplink(late, 1, Fragmentation.PORT, complete, deadline.plusSeconds(1));
        session.onUplink(onTime, 1, Fragmentation.PORT, complete, deadline.plusSeconds(2));
        assertEquals(List.of(), refused);
        assertEquals(FuotaSession.Phase.FINISHED, session.phase());
        assertEquals(List.of(DeviceResult.State.DONE, DeviceResult.State.DONE),
                session.results().stream().map(DeviceResult::state).toList());
    }

    /**
     * TS005 v2.0.0: a device answering StartMissed (its clock put the start behind it) is not counted as listening; it
     * is asked again with a start of its own, half a minute past the one it missed. And a multicast status round
     * ends as soon as every active device has answered, not at its deadline half a minute later.
     */
    @Test
    void aStartMissedDeviceGetsALaterStartAndARoundEndsOnceEveryDeviceAnswered() throws FuotaCodecException {
        List<String> refused = new ArrayList<>();
        MulticastSetup ts005 = MulticastSetup.of(2);
        Fragmentation ts004 = Fragmentation.of(Ts004Version.V1_0_0);
        SessionPlan plan = new SessionPlan(Region.EU868, 5, 869_525_000L, Ts004Version.V1_0_0, 0, 0, 0, 0, 0, 5, 3,
                Duration.ofSeconds(30), false, new SessionPlan.Multicast(0, 0x0123_4567L, 0, 0xFFFF_FFFFL, 2));
        FuotaSession session = new FuotaSession(plan, new byte[500], List.of(new Participant(DEV, new byte[16])),
                new DutyCycleBudget(Region.EU868, 0.01, Map.of("g3", 0.1)), refusals(refused));
        List<McClassCSessionReq> classC = new ArrayList<>();
        Transmission status = null;
        long fCnt = 0;
        Instant at = T0;
        while (status == null) {
            for (Transmission t : session.poll(at)) {
                Instant answer = t.start().plus(Duration.ofNanos(t.airtimeMicros() * 1000)).plusSeconds(1);
                if (t.fPort() == MulticastSetup.PORT) {
                    FuotaCommand c = ts005.decode(Direction.DOWNLINK, t.frame()).get(0);
                    if (c instanceof McGroupSetupReq) {
                        session.onUplink(DEV, fCnt++, MulticastSetup.PORT, ts005.encode(new McGroupSetupAns(0,
                                false)), answer);
                    } else {
                        McClassCSessionReq req = (McClassCSessionReq) c;
                        classC.add(req);
                        // the first start, by the device's clock, has passed
                        boolean missed = classC.size() == 1;
                        long toStart = missed ? 0 : req.sessionTime() - GpsTime.seconds(answer);
                        session.onUplink(DEV, fCnt++, MulticastSetup.PORT, ts005.encode(new McSessionAns(false, 0,
                                false, false, false, missed, toStart)), answer);
                    }
                } else if (t.fragmentCounter() == 0) {
                    FuotaCommand c = ts004.decode(Direction.DOWNLINK, t.frame()).get(0);
                    if (c instanceof FragSessionSetupReq) {
                        session.onUplink(DEV, fCnt++, Fragmentation.PORT, ts004.encode(new FragSessionSetupAns(0,
                                false, false, false, false, false)), answer);
                    } else if (c instanceof FragSessionStatusReq) {
                        status = t;
                    }
                }
            }
            at = session.nextWake();
        }
        assertEquals(2, classC.size(), "asked again after StartMissed");
        long first = classC.get(0).sessionTime();
        assertEquals(first + 30, classC.get(1).sessionTime(), "half a minute past the start it missed");
        // its window (2^TimeOut s) still lasts as long past its start as the session needs
        assertTrue(classC.get(1).timeOut() <= classC.get(0).timeOut());
        assertEquals(FuotaSession.Phase.STATUS, session.phase());
        Instant answered = status.start().plusSeconds(5);
        session.onUplink(DEV, fCnt, Fragmentation.PORT, ts004.encode(new FragSessionStatusAns(0, 3, 0, false, false,
                false)), answered);
        assertEquals(FuotaSession.Phase.FINISHED, session.phase(), "no waiting out the round's deadline");
        assertEquals(answered, session.report().finished());
        assertEquals(DeviceResult.State.DONE, session.results().get(0).state());
        assertEquals(List.of(), refused);
    }

    @Test
    void repairAsksForWhatTheDeviceShouldReceiveAtTheShareItGot() {
        // 10 missing at 80% delivered: 12.5 expected, plus sqrt(12.5) = 3.54: 16.04 -> 17
        assertEquals(17, FuotaSession.repair(10, 80, 100, 0));
        // a device that got a tenth counts as getting half: 20 + sqrt(20) = 24.47 -> 25
        assertEquals(25, FuotaSession.repair(10, 10, 100, 0));
        assertEquals(0, FuotaSession.repair(0, 100, 100, 0));
        // doubled for each round that reached the device without helping, at most 16 times
        assertEquals(34, FuotaSession.repair(10, 80, 100, 1));
        assertEquals(17 * 16, FuotaSession.repair(10, 80, 100, 9));
        assertEquals(0, FuotaSession.repair(0, 80, 100, 3));
    }
}
