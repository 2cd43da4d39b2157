package org.updraft.transport.lorawan.internal.session;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.updraft.core.serving.CountedRefusals;
import org.updraft.transport.lorawan.internal.fec.FragmentEncoder;
import org.updraft.transport.lorawan.internal.fuota.ClockSync;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.AppTimeAns;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.AppTimeReq;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.ForceDeviceResyncReq;
import org.updraft.transport.lorawan.internal.fuota.DataBlockMic;
import org.updraft.transport.lorawan.internal.fuota.Direction;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.BlockIntegrity;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataBlockReceivedAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataBlockReceivedReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataFragment;
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
import org.updraft.transport.lorawan.internal.radio.DataRate;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.session.DeviceResult.State;

/**
 * One FUOTA session as a state machine in the caller's time, independent of how frames travel: the caller asks
 * {@link #poll} what to send at an instant, hands every uplink to {@link #onUplink}, and calls {@code poll} again
 * at {@link #nextWake()} or after an uplink. Nothing here sleeps or reads a clock, so a simulator runs hours of
 * session in milliseconds and a network-server bridge runs it in real time.
 *
 * <p>The session: each device's clock checked (TS003, multicast only, if asked), the multicast group set up
 * (TS005), the fragmentation session set up (TS004), then for multicast its Class C session opened. The first
 * device through its setup fixes the multicast's start a short lead ahead; every device set up in time is asked to
 * open its window then, and one whose setup or McClassCSessionAns comes later gets a start of its own, as soon as
 * its request can reach it, and joins the fragments already under way (the repair rounds make up what it missed).
 * Then the M fragments plus the planned redundancy, paced by the duty cycle; then rounds of
 * FragSessionStatusReq: a device reporting nothing missing is done, and for the others more coded fragments go
 * out (as many as the worst of them needs at the loss it showed) until every device is done or the rounds, the
 * attempts, the Class C window or TS004's fragment counters run out, and those devices end failed with the
 * reason.
 *
 * <p>In TS004 v2.0.0 each device's FragSessionSetupReq carries its SessionCnt and the block's MIC under its own
 * DataBlockIntKey, the fragments are v2.0.0's FEC rows, and a device confirms the block it rebuilt with
 * DataBlockReceivedReq, which the session answers with DataBlockReceivedAns; the device is done once that answer
 * has gone out (or a status answer reports nothing missing). A device that reports a MIC error (in
 * DataBlockReceivedReq or a status answer) rebuilt something other than the block: it ends failed, reason
 * {@value #MIC_ERROR}.
 *
 * <p>Uplinks that do not belong (a device outside the session, a frame counter not above the device's last, a port
 * other than 200-202, a frame that does not decode, an answer nobody asked for or for another session) change
 * nothing; they are counted by kind in {@link #refusals()}, which reports them at most once a minute per kind.
 * Not thread safe: one caller drives it.
 */
public final class FuotaSession {

    /** Where the session stands. */
    public enum Phase {
        /** Clock checks, group and fragmentation setup, each device's steps one after another. */
        SETUP,
        /**
         * Sending fragments; for multicast from the Class C session's start, while devices still in setup finish
         * it and join.
         */
        FRAGMENTS,
        /** Asking devices what they miss. */
        STATUS,
        /** Every device is done or failed. */
        FINISHED
    }

    /** Totals of a session so far. */
    public record Report(Phase phase, int nbFrag, int fragSize, int fragmentsSent, int codedSent, int repairRounds,
            int downlinks, long airtimeMicros, long fragmentAirtimeMicros, Instant started, Instant firstFragment,
            Instant finished, Map<String, Long> refused) {
    }

    private enum Step {
        CLOCK("AppTimeReq showing a synchronised clock"),
        MC_GROUP("McGroupSetupAns"),
        FRAG_SETUP("FragSessionSetupAns"),
        MC_SESSION("McClassCSessionAns"),
        STATUS("FragSessionStatusAns");

        final String answer;

        Step(String answer) {
            this.answer = answer;
        }
    }

    // doneOnSend: the device is done once this frame (its DataBlockReceivedAns) has gone out
    private record Pending(Device device, int port, byte[] frame, Step step, boolean doneOnSend) {
        Pending(Device device, int port, byte[] frame, Step step) {
            this(device, port, frame, step, false);
        }
    }

    /** The reason of a device that rebuilt a block whose MIC is wrong (TS004 v2.0.0). */
    public static final String MIC_ERROR = "mic-error";

    private final class Device {
        final Participant participant;
        // TS004 v2.0.0: this device's SessionCnt and the block's MIC under its key; null in v1.0.0
        BlockIntegrity integrity;
        // TS004 v2.0.0: its DataBlockReceivedAns is queued
        boolean blockAcknowledged;
        final Deque<Step> steps = new ArrayDeque<>();
        Step awaiting;
        Instant deadline;
        int attempts;
        long lastFCnt = -1;
        State state = State.ACTIVE;
        String reason;
        int corrections;
        int received = -1;
        int missing = -1;
        boolean answeredThisRound;
        // unicast: asked for its status this round and not answered yet; open until the round ends, past the deadline
        boolean statusOpen;
        int silentRounds;
        // unicast: the fragments sent to this device, and how far to go
        int sentCounter;
        int targetCounter;
        // unicast, TS004 v2.0.0: uncoded fragments to send it again first (see needsUncoded)
        final Deque<Integer> uncodedAgain = new ArrayDeque<>();
        // unicast: the rounds that sent this device more fragments
        int repairs;
        // what it reported when it was last sent more fragments, and the repairs since that told it nothing new
        int missingAtRepair = -1;
        int receivedAtRepair = -1;
        int stalls;
        // multicast: the start its last McClassCSessionReq gave, and the one it accepted (null: not yet)
        Instant offeredStart;
        Instant listensFrom;
        // the last start it answered StartMissed to, and how many times it did
        Instant missedStart;
        int startsMissed;

        Device(Participant participant) {
            this.participant = participant;
        }

        void fail(String why) {
            if (state == State.ACTIVE) {
                state = State.FAILED;
                reason = why;
                awaiting = null;
                deadline = null;
                steps.clear();
            }
        }

        void done() {
            if (state == State.ACTIVE) {
                state = State.DONE;
                awaiting = null;
                deadline = null;
                steps.clear();
            }
        }

        boolean ready() {
            return state != State.ACTIVE || awaiting == null && steps.isEmpty();
        }
    }

    /** How a failed device's reason ends when it refused its SessionCnt as not above its last (TS004 v2.0.0). */
    public static final String SESSION_CNT_REPLAY = "not above its last (replay)";

    private static final Duration CLOCK_TOLERANCE = Duration.ofSeconds(1);
    // between a McClassCSessionReq's expected end and the start it gives: a device needs a moment to open its window
    private static final Duration JOIN_MARGIN = Duration.ofSeconds(2);
    // McGroupSetupReq, the longest setup frame: 1 + 29 bytes
    private static final int LONGEST_SETUP_FRAME = 30;
    private static final int CLASS_C_MAX_TIMEOUT = 15;

    private final SessionPlan plan;
    private final DutyCycleBudget budget;
    private final FragmentEncoder encoder;
    private final Fragmentation ts004;
    private final MulticastSetup ts005;
    private final DataRate dataRate;
    private final CountedRefusals refusals;
    private final Map<String, Device> devices = new LinkedHashMap<>();
    private final Deque<Pending> queue = new ArrayDeque<>();

    private Phase phase = Phase.SETUP;
    private Instant now;
    private Instant started;
    private Instant finished;
    private Instant firstFragment;
    // multicast session timing: the common start, null until the first device is set up
    private Instant sessionStart;
    private Instant windowEnd;
    private int classCTimeout;
    // multicast fragments: sent so far, and how far to go
    private int sentCounter;
    private int targetCounter;
    // multicast: when each fragment went out, by counter - 1, for which of them a late device could hear
    private final List<Instant> fragmentTimes = new ArrayList<>();
    // multicast, TS004 v2.0.0: uncoded fragments to send again before the next new counter, and where the next such
    // batch starts
    private final Deque<Integer> uncodedAgain = new ArrayDeque<>();
    private int uncodedCursor;
    private boolean statusSent;
    private Instant statusUntil;
    private int repairRounds;
    private int unicastCursor;
    // totals
    private int fragmentsSent;
    private int codedSent;
    private int downlinks;
    private long airtimeMicros;
    private long fragmentAirtimeMicros;

    /**
     * @param block the data block the devices must rebuild
     * @param participants the devices, each once; for multicast each with its encrypted McKey
     * @param budget the gateway's duty-cycle budget (shared with anything else it sends)
     * @param refusals where ignored uplinks are counted and reported
     * @throws IllegalArgumentException for no device, a device twice, a multicast device without its key, a
     *     device of a TS004 v2.0.0 session without its DataBlockIntKey, or a block the plan's fragments cannot carry
     */
    public FuotaSession(SessionPlan plan, byte[] block, List<Participant> participants, DutyCycleBudget budget,
            CountedRefusals refusals) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        if (budget.region() != plan.region()) {
            throw new IllegalArgumentException("the duty-cycle budget is " + budget.region().name()
                    + "'s, the plan " + plan.region().name() + "'s");
        }
        if (participants.isEmpty()) {
            throw new IllegalArgumentException("a session needs at least one device");
        }
        this.dataRate = plan.region().dataRate(plan.dataRate());
        this.encoder = new FragmentEncoder(block, plan.effectiveFragSize(), plan.version());
        this.ts004 = Fragmentation.of(plan.version());
        this.ts005 = plan.multicast() == null ? null : MulticastSetup.of(plan.multicast().ts005Version());
        for (Participant p : participants) {
            if (plan.multicast() != null && p.mcKeyEncrypted() == null) {
                throw new IllegalArgumentException(p.devEui() + " has no McKey_encrypted for the multicast group");
            }
            Device d = new Device(p);
            if (plan.version() == Ts004Version.V2_0_0) {
                if (p.dataBlockIntKey() == null) {
                    throw new IllegalArgumentException(p.devEui() + " has no DataBlockIntKey, which a TS004 v2.0.0 "
                            + "session needs for the data block's MIC");
                }
                // over the block as sent: NbFrag x FragSize - Padding bytes, which is the block itself
                d.integrity = new BlockIntegrity(p.sessionCnt(), DataBlockMic.mic(p.dataBlockIntKey(), p.sessionCnt(),
                        plan.fragIndex(), plan.descriptor(), block));
            }
            if (devices.putIfAbsent(p.devEui(), d) != null) {
                throw new IllegalArgumentException(p.devEui() + " is listed twice");
            }
            if (plan.clockSync() && plan.multicast() != null) {
                d.steps.add(Step.CLOCK);
            }
            if (plan.multicast() != null) {
                d.steps.add(Step.MC_GROUP);
            }
            d.steps.add(Step.FRAG_SETUP);
            if (plan.multicast() != null) {
                d.steps.add(Step.MC_SESSION);
            }
        }
        int initial = encoder.nbFrag() + (int) Math.ceil(encoder.nbFrag() * plan.redundancy());
        this.targetCounter = Math.min(initial, Fragmentation.MAX_FRAGMENTS);
        if (plan.multicast() != null) {
            this.classCTimeout = classCTimeout();
        }
    }

    // the smallest Class C session that holds the first fragments three times over and every status round
    private int classCTimeout() {
        long frameCycle = (long) Math.ceil(dataRate.airtimeMicros(DataRate.DATA_FRAGMENT_HEADER + encoder.fragSize())
                / budget.dutyCycle(plan.frequencyHz()) / 1e6);
        long statusWindow = (16L << plan.blockAckDelay()) + plan.answerTimeout().toSeconds() + frameCycle;
        long needed = 3L * targetCounter * frameCycle + (plan.maxRepairRounds() + 1L) * statusWindow;
        int exponent = 64 - Long.numberOfLeadingZeros(Math.max(needed - 1, 1));
        if (exponent > CLASS_C_MAX_TIMEOUT) {
            throw new IllegalArgumentException("the session needs about " + needed + " s of Class C time at "
                    + dataRate + " and a " + budget.dutyCycle(plan.frequencyHz()) * 100 + "% duty cycle, more than a "
                    + "TS005 session's 2^15 s: use a faster data rate, a larger duty cycle or a smaller block");
        }
        return exponent;
    }

    public SessionPlan plan() {
        return plan;
    }

    public Phase phase() {
        return phase;
    }

    /** M, the block's uncoded fragments. */
    public int nbFrag() {
        return encoder.nbFrag();
    }

    public int fragSize() {
        return encoder.fragSize();
    }

    /** TS004's Padding: bytes of the last fragment past the block's end. */
    public int padding() {
        return encoder.padding();
    }

    public CountedRefusals refusals() {
        return refusals;
    }

    /** Each device's result, in the participants' order. */
    public List<DeviceResult> results() {
        List<DeviceResult> out = new ArrayList<>();
        for (Device d : devices.values()) {
            out.add(new DeviceResult(d.participant.devEui(), d.state, d.reason, d.received, d.missing));
        }
        return out;
    }

    public Report report() {
        return new Report(phase, encoder.nbFrag(), encoder.fragSize(), fragmentsSent, codedSent, repairRounds,
                downlinks, airtimeMicros, fragmentAirtimeMicros, started, firstFragment, finished, refusals.counts());
    }

    /**
     * The least airtime any session could spend carrying {@code blockSize} bytes at {@code dataRate}: one copy of
     * each fragment of the largest size the rate carries, nothing else.
     */
    public static long minimumAirtimeMicros(int blockSize, DataRate dataRate) {
        int fragment = dataRate.maxFragmentSize();
        int frames = (blockSize + fragment - 1) / fragment;
        return frames * dataRate.airtimeMicros(dataRate.maxFrmPayload());
    }

    /**
     * When {@link #poll} next has something to do; null once the session has finished, and before the first
     * {@code poll}, which starts the session.
     */
    public Instant nextWake() {
        if (phase == Phase.FINISHED) {
            return null;
        }
        Instant wake = null;
        if (somethingToSend()) {
            Instant at = budget.earliest(plan.frequencyHz(), now == null ? Instant.MIN : now);
            if (phase == Phase.FRAGMENTS && plan.multicast() != null && queue.isEmpty()
                    && at.isBefore(sessionStart)) {
                at = sessionStart;
            }
            wake = at;
        }
        for (Device d : devices.values()) {
            if (d.deadline != null) {
                wake = earlier(wake, d.deadline);
            }
        }
        if (phase == Phase.STATUS && statusUntil != null) {
            wake = earlier(wake, statusUntil);
        }
        return wake;
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    /**
     * Moves the session to {@code at} and returns what to send then: at most one frame (the duty cycle leaves the
     * channel silent after it for far longer than it lasts).
     *
     * @throws IllegalArgumentException when {@code at} lies before an instant the session has already seen
     */
    public List<Transmission> poll(Instant at) {
        advance(at);
        if (started == null) {
            started = at;
        }
        if (phase == Phase.FINISHED) {
            return List.of();
        }
        expireDeadlines();
        progress();
        if (phase == Phase.FINISHED || budget.earliest(plan.frequencyHz(), now).isAfter(now)) {
            return List.of();
        }
        Transmission sent = sendNext();
        if (sent == null) {
            return List.of();
        }
        progress();
        return List.of(sent);
    }

    private void advance(Instant at) {
        Objects.requireNonNull(at, "at");
        if (now != null && at.isBefore(now)) {
            throw new IllegalArgumentException("time runs forward: " + at + " is before " + now);
        }
        now = at;
    }

    /**
     * Takes one uplink as the network server passed it on: the device, its frame counter, port and application
     * payload. One that does not belong is counted and ignored; the session goes on.
     */
    public void onUplink(String devEui, long fCnt, int fPort, byte[] data, Instant at) {
        advance(at);
        Device d = devices.get(devEui);
        if (d == null) {
            refusals.refused("device-outside-session", devEui + " on port " + fPort + " is not in the session");
            return;
        }
        if (fCnt <= d.lastFCnt) {
            refusals.refused("replayed", devEui + " sent frame counter " + fCnt + ", its last was " + d.lastFCnt);
            return;
        }
        d.lastFCnt = fCnt;
        List<FuotaCommand> commands;
        try {
            commands = switch (fPort) {
                case ClockSync.PORT -> ClockSync.decode(Direction.UPLINK, data);
                case MulticastSetup.PORT -> MulticastSetup.of(plan.multicast() == null ? 1
                        : plan.multicast().ts005Version()).decode(Direction.UPLINK, data);
                case Fragmentation.PORT -> ts004.decode(Direction.UPLINK, data);
                default -> null;
            };
        } catch (FuotaCodecException e) {
            refusals.refused("malformed", devEui + ": " + e.getMessage());
            return;
        }
        if (commands == null) {
            refusals.refused("wrong-port", devEui + " sent on port " + fPort + ", not a FUOTA package's (200-202)");
            return;
        }
        for (FuotaCommand c : commands) {
            String unexpected = take(d, c);
            if (unexpected != null) {
                refusals.refused("out-of-session", devEui + ": " + unexpected);
            }
        }
        progress();
    }

    // null when the command was taken, else why it was not
    private String take(Device d, FuotaCommand c) {
        if (d.state == State.FAILED) {
            return c.getClass().getSimpleName() + " from a device the session gave up on (" + d.reason + ")";
        }
        if (c instanceof AppTimeReq req) {
            if (!plan.clockSync() || plan.multicast() == null) {
                return "AppTimeReq, but this session does not synchronise clocks";
            }
            long correction = GpsTime.seconds(now) - req.deviceTime();
            if (Math.abs(correction) > CLOCK_TOLERANCE.toSeconds() || req.ansRequired()) {
                enqueue(d, ClockSync.PORT, ClockSync.encode(new AppTimeAns((int) correction, req.tokenReq())), null);
            }
            if (d.awaiting == Step.CLOCK) {
                if (Math.abs(correction) <= CLOCK_TOLERANCE.toSeconds()) {
                    stepDone(d);
                } else if (++d.corrections > plan.maxAttempts()) {
                    d.fail("clock still " + correction + " s off after " + plan.maxAttempts() + " corrections");
                } else {
                    // the device answers: the next check is a fresh attempt, after it has had the correction
                    d.attempts = 0;
                }
            }
            return null;
        }
        if (c instanceof McGroupSetupAns ans) {
            if (d.awaiting != Step.MC_GROUP || ans.groupId() != plan.multicast().groupId()) {
                return "McGroupSetupAns for group " + ans.groupId() + " nobody asked for";
            }
            if (ans.idError()) {
                d.fail("refused multicast group " + ans.groupId() + " (IDerror)");
            } else {
                stepDone(d);
            }
            return null;
        }
        if (c instanceof FragSessionSetupAns ans) {
            if (d.awaiting != Step.FRAG_SETUP || ans.fragIndex() != plan.fragIndex()) {
                return "FragSessionSetupAns for session " + ans.fragIndex() + " nobody asked for";
            }
            if (ans.accepted()) {
                stepDone(d);
            } else {
                d.fail("refused the fragmentation session:" + (ans.encodingUnsupported() ? " encoding unsupported" : "")
                        + (ans.notEnoughMemory() ? " not enough memory" : "")
                        + (ans.fragIndexNotSupported() ? " FragIndex not supported" : "")
                        + (ans.wrongDescriptor() ? " wrong descriptor" : "")
                        + (ans.sessionCntReplay() ? " SessionCnt " + d.participant.sessionCnt()
                                + " " + SESSION_CNT_REPLAY : ""));
            }
            return null;
        }
        if (c instanceof McSessionAns ans) {
            if (d.awaiting != Step.MC_SESSION || ans.classB() || ans.groupId() != plan.multicast().groupId()) {
                return (ans.classB() ? "McClassBSessionAns" : "McClassCSessionAns") + " for group " + ans.groupId()
                        + " nobody asked for";
            }
            if (ans.accepted() && ans.startMissed()) {
                // TS005 v2.0.0: by the device's clock the start had passed when the request came, though the session
                // gives only starts ahead: its clock is checked again (if the plan checks clocks) and it gets a start
                // of its own, later
                stepDone(d);
                if (++d.startsMissed >= plan.maxAttempts()) {
                    d.fail("missed the Class C session's start " + d.startsMissed + " times (StartMissed)");
                } else {
                    d.missedStart = d.offeredStart;
                    d.steps.addFirst(Step.MC_SESSION);
                    if (plan.clockSync()) {
                        d.steps.addFirst(Step.CLOCK);
                    }
                }
            } else if (ans.accepted()) {
                d.listensFrom = d.offeredStart;
                stepDone(d);
            } else {
                d.fail("refused the Class C session:" + (ans.groupUndefined() ? " group undefined" : "")
                        + (ans.freqError() ? " frequency" : "") + (ans.drError() ? " data rate" : ""));
            }
            return null;
        }
        if (c instanceof FragSessionStatusAns ans) {
            if (ans.fragIndex() != plan.fragIndex()) {
                return "FragSessionStatusAns for session " + ans.fragIndex() + ", this one is " + plan.fragIndex();
            }
            // unicast: an answer after its deadline still counts while the round is open (other devices' requests
            // went out later): a slow network server or a busy gateway delays answers, and refusing one that came
            // made the device silent for the round, sent it no repair and, round after round, failed it as silent
            boolean asked = plan.multicast() != null
                    ? phase == Phase.STATUS && statusSent && !now.isAfter(statusUntil)
                    : d.awaiting == Step.STATUS || phase == Phase.STATUS && d.statusOpen;
            if (!asked && d.state == State.DONE && d.blockAcknowledged) {
                // v2.0.0: done by its DataBlockReceivedReq, it still answers the status request it heard, maybe after
                // the round ended without waiting for it
                return null;
            }
            if (!asked) {
                return "FragSessionStatusAns while no status request is open";
            }
            if (d.state == State.DONE) {
                return null;
            }
            d.received = ans.nbFragReceived();
            d.missing = ans.missingFrag();
            d.answeredThisRound = true;
            d.statusOpen = false;
            d.silentRounds = 0;
            if (plan.multicast() == null) {
                d.awaiting = null;
                d.deadline = null;
            }
            if (ans.micError()) {
                d.fail(MIC_ERROR);
            } else if (ans.notEnoughMatrixMemory()) {
                d.fail("not enough memory for the FEC matrix (" + ans.nbFragReceived() + " fragments received)");
            } else if (ans.missingFrag() == 0) {
                d.done();
            }
            return null;
        }
        if (c instanceof DataBlockReceivedReq req) {
            if (req.fragIndex() != plan.fragIndex()) {
                return "DataBlockReceivedReq for session " + req.fragIndex() + ", this one is " + plan.fragIndex();
            }
            if (req.micError()) {
                d.fail(MIC_ERROR);
                return null;
            }
            // answered each time: a device repeats its request when our answer was lost
            boolean doneOnSend = d.state == State.ACTIVE && !d.blockAcknowledged;
            d.blockAcknowledged = true;
            queue.add(new Pending(d, Fragmentation.PORT, ts004.encode(new DataBlockReceivedAns(plan.fragIndex())),
                    null, doneOnSend));
            return null;
        }
        return c.getClass().getSimpleName() + " nobody asked for";
    }

    private void stepDone(Device d) {
        d.awaiting = null;
        d.deadline = null;
        d.attempts = 0;
    }

    private void enqueue(Device d, int port, byte[] frame, Step step) {
        queue.add(new Pending(d, port, frame, step));
        if (step != null) {
            d.awaiting = step;
            d.deadline = null;
            d.attempts++;
        }
    }

    private void expireDeadlines() {
        for (Device d : devices.values()) {
            if (d.state != State.ACTIVE || d.deadline == null || now.isBefore(d.deadline)) {
                continue;
            }
            Step step = d.awaiting;
            d.deadline = null;
            d.awaiting = null;
            if (step == Step.STATUS) {
                // silence is judged when the round ends
                continue;
            }
            if (d.attempts >= plan.maxAttempts()) {
                d.fail("no " + step.answer + " after " + d.attempts + " attempts");
            } else {
                d.steps.addFirst(step);
            }
        }
    }

    // moves phases along and queues the requests they need
    private void progress() {
        switch (phase) {
            case SETUP -> {
                requestNextSteps();
                if (allEnded()) {
                    finish();
                } else if (plan.multicast() != null ? sessionStart != null
                        : devices.values().stream().allMatch(Device::ready)) {
                    startFragments();
                }
            }
            case FRAGMENTS -> {
                // multicast: a device still in setup goes on with it while the fragments go out
                requestNextSteps();
                if (allEnded()) {
                    finish();
                } else if (plan.multicast() != null ? sentCounter >= targetCounter && uncodedAgain.isEmpty()
                        && devices.values().stream().allMatch(Device::ready)
                        : devices.values().stream().noneMatch(this::unicastFragmentDue)) {
                    askStatus();
                }
            }
            case STATUS -> {
                requestNextSteps();
                // multicast: over at its deadline, or once every device still active has answered (waiting out the
                // answer timeout after the last answer only delayed the repair, or the end, by half a minute)
                boolean over = plan.multicast() != null
                        ? statusSent && (!now.isBefore(statusUntil) || devices.values().stream()
                                .allMatch(d -> d.state != State.ACTIVE || d.answeredThisRound))
                        : devices.values().stream().allMatch(d -> d.state != State.ACTIVE || d.awaiting == null)
                                && queue.stream().noneMatch(p -> p.step == Step.STATUS);
                if (over) {
                    endRound();
                }
            }
            case FINISHED -> {
            }
        }
    }

    private void requestNextSteps() {
        for (Device d : devices.values()) {
            if (d.state == State.ACTIVE && d.awaiting == null && !d.steps.isEmpty()) {
                request(d, d.steps.poll());
            }
        }
    }

    private boolean allEnded() {
        return devices.values().stream().noneMatch(d -> d.state == State.ACTIVE);
    }

    private void request(Device d, Step step) {
        switch (step) {
            case CLOCK -> enqueue(d, ClockSync.PORT, ClockSync.encode(new ForceDeviceResyncReq(1)), step);
            case MC_GROUP -> {
                SessionPlan.Multicast mc = plan.multicast();
                enqueue(d, MulticastSetup.PORT, ts005.encode(new McGroupSetupReq(mc.groupId(), mc.mcAddr(),
                        d.participant.mcKeyEncrypted(), mc.minMcFCount(), mc.maxMcFCount())), step);
            }
            // v2.0.0: AckReception, so that the device confirms the block (DataBlockReceivedReq) once it has it
            case FRAG_SETUP -> enqueue(d, Fragmentation.PORT, ts004.encode(new FragSessionSetupReq(plan.fragIndex(),
                    plan.multicast() == null ? 0 : 1 << plan.multicast().groupId(), encoder.nbFrag(),
                    encoder.fragSize(), 0, plan.blockAckDelay(), d.integrity != null, encoder.padding(),
                    plan.descriptor(), d.integrity)), step);
            case MC_SESSION -> requestClassCSession(d);
            case STATUS -> enqueue(d, Fragmentation.PORT,
                    ts004.encode(new FragSessionStatusReq(plan.fragIndex(), true)), step);
        }
    }

    /**
     * Asks {@code d} to open its Class C window. The first device to get here fixes the multicast's start: one answer
     * timeout after its request can have gone out behind the frames already queued, so the devices still in setup
     * have that long to catch up. A device whose request can reach it before that start is given it; one later
     * (its setup took retries, its answer was lost, it missed the start) gets a start of its own just after its
     * request ends, and a window that still lasts to the session's end.
     */
    private void requestClassCSession(Device d) {
        long setupCycle = (long) Math.ceil(dataRate.airtimeMicros(LONGEST_SETUP_FRAME)
                / budget.dutyCycle(plan.frequencyHz()));
        long fragmentCycle = (long) Math.ceil(dataRate.airtimeMicros(DataRate.DATA_FRAGMENT_HEADER
                + encoder.fragSize()) / budget.dutyCycle(plan.frequencyHz()));
        // behind the frames queued, and a fragment that may be on the air first
        Instant reaches = budget.earliest(plan.frequencyHz(), now)
                .plus(Duration.ofNanos(((queue.size() + 1) * setupCycle + fragmentCycle) * 1000));
        if (sessionStart == null) {
            sessionStart = GpsTime.instant(GpsTime.seconds(reaches.plus(plan.answerTimeout())) + 1);
            windowEnd = sessionStart.plusSeconds(1L << classCTimeout);
        }
        Instant start = sessionStart;
        if (d.missedStart != null || reaches.plus(JOIN_MARGIN).isAfter(sessionStart)) {
            start = GpsTime.instant(GpsTime.seconds(reaches.plus(JOIN_MARGIN)) + 1);
        }
        if (d.missedStart != null && start.isBefore(d.missedStart.plus(plan.answerTimeout()))) {
            // what put it behind (its clock, a slow network server) is unknown: half a minute more than last time
            start = d.missedStart.plus(plan.answerTimeout());
        }
        long left = Duration.between(start, windowEnd).toSeconds();
        if (left <= 0) {
            d.fail("no McClassCSessionAns before the Class C session ended");
            return;
        }
        // the smallest SessionTimeOut whose window reaches the session's end
        int timeOut = 64 - Long.numberOfLeadingZeros(Math.max(left - 1, 1));
        d.offeredStart = start;
        enqueue(d, MulticastSetup.PORT, ts005.encode(new McClassCSessionReq(plan.multicast().groupId(),
                GpsTime.seconds(start), timeOut, plan.frequencyHz(), plan.dataRate())), Step.MC_SESSION);
    }

    /** The first multicast fragment sent at or after {@code from}, or the next to be sent. */
    private int firstCounterFrom(Instant from) {
        int lo = 0;
        int hi = fragmentTimes.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (fragmentTimes.get(mid).isBefore(from)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo + 1;
    }

    private void startFragments() {
        phase = Phase.FRAGMENTS;
        if (plan.multicast() == null) {
            for (Device d : devices.values()) {
                d.targetCounter = targetCounter;
            }
        }
    }

    private boolean unicastFragmentDue(Device d) {
        return d.state == State.ACTIVE && (d.sentCounter < d.targetCounter || !d.uncodedAgain.isEmpty());
    }

    private void askStatus() {
        phase = Phase.STATUS;
        statusSent = false;
        statusUntil = null;
        for (Device d : devices.values()) {
            d.answeredThisRound = false;
            if (plan.multicast() == null && d.state == State.ACTIVE) {
                d.attempts = 0;
                d.statusOpen = true;
                request(d, Step.STATUS);
            }
        }
    }

    private void endRound() {
        List<Device> incomplete = new ArrayList<>();
        for (Device d : devices.values()) {
            d.statusOpen = false;
            if (d.state != State.ACTIVE) {
                continue;
            }
            if (!d.answeredThisRound && ++d.silentRounds >= plan.maxAttempts()) {
                d.fail("no FragSessionStatusAns to " + d.silentRounds + " status requests");
                continue;
            }
            incomplete.add(d);
        }
        if (incomplete.isEmpty()) {
            finish();
            return;
        }
        // a round that no answer came back from (its requests or answers lost, the network server away) sends no
        // repair: it is silence, which max attempts bound, not one of the repair rounds; counting it as one gave a
        // device that missed every fragment after an outage no repair at all (its first answer came too late)
        if (incomplete.stream().noneMatch(d -> d.answeredThisRound)) {
            phase = Phase.FRAGMENTS;
            progress();
            return;
        }
        if (plan.multicast() == null) {
            // unicast: each device's own repair rounds; one that stayed silent this round is only asked again
            boolean repaired = false;
            for (Device d : incomplete) {
                if (!d.answeredThisRound) {
                    continue;
                }
                if (d.repairs >= plan.maxRepairRounds()) {
                    d.fail("still missing " + d.missing + " fragments after " + d.repairs + " repair rounds ("
                            + d.received + " received)");
                    continue;
                }
                d.repairs++;
                repaired = true;
                d.targetCounter = Math.min(d.sentCounter + repairFor(d, d.sentCounter),
                        Fragmentation.MAX_FRAGMENTS);
                if (needsUncoded(d)) {
                    againUncoded(d.uncodedAgain);
                }
            }
            if (repaired) {
                repairRounds++;
            }
            if (allEnded()) {
                finish();
                return;
            }
            phase = Phase.FRAGMENTS;
            progress();
            return;
        }
        if (repairRounds >= plan.maxRepairRounds()) {
            for (Device d : incomplete) {
                d.fail(d.missing < 0 ? "never answered a status request, after " + repairRounds + " repair rounds"
                        : "still missing " + d.missing + " fragments after " + repairRounds + " repair rounds ("
                                + d.received + " received)");
            }
            finish();
            return;
        }
        repairRounds++;
        int extra = 0;
        // only this round's answers: an older one overstates what a device lacks now
        for (Device d : incomplete) {
            if (d.answeredThisRound) {
                // a device that joined late was sent only what went out since its start
                int since = d.listensFrom == null ? sentCounter
                        : sentCounter - firstCounterFrom(d.listensFrom) + 1;
                extra = Math.max(extra, repairFor(d, since));
            }
        }
        for (Device d : incomplete) {
            if (d.answeredThisRound && needsUncoded(d)) {
                againUncoded(uncodedAgain);
                break;
            }
        }
        targetCounter = Math.min(sentCounter + extra, Fragmentation.MAX_FRAGMENTS);
        if (extra > 0 && targetCounter == sentCounter) {
            for (Device d : incomplete) {
                d.fail("TS004's " + Fragmentation.MAX_FRAGMENTS + " fragment counters are used up, "
                        + d.missing + " fragments still missing");
            }
            finish();
            return;
        }
        phase = Phase.FRAGMENTS;
        progress();
    }

    /**
     * The repair for a device that answered this round. A device whose fragments arrived since its last repair (its
     * received count rose) without its missing count falling was sent rows that told it nothing new: TS004 v1.0.0's
     * rows set some pairs of uncoded fragments together far more often than chance (each draw is the last one shifted
     * by a bit, so a position is often followed by about half of it mod M: at M = 33, 29 by 18), so a device that
     * lost both of such a pair needs many coded fragments to tell them apart. Each such stalled round doubles what it is sent next, so it is repaired in a
     * few rounds however unlucky its losses, rather than a fixed handful at a time until the rounds run out.
     */
    private int repairFor(Device d, int sent) {
        if (d.missingAtRepair >= 0) {
            if (d.missing < d.missingAtRepair) {
                d.stalls = 0;
            } else if (d.received > d.receivedAtRepair) {
                d.stalls++;
            }
        }
        d.missingAtRepair = d.missing;
        d.receivedAtRepair = d.received;
        return repair(d.missing, d.received, sent, d.stalls);
    }

    /**
     * More fragments for a device that lacks {@code missing} after receiving {@code received} of {@code sent}: enough
     * that, at the share it received, it should receive what it lacks, plus a margin for bad luck. The share counts
     * as at least a half: a device that joined late or sat in a long burst received less than its link delivers,
     * and one more round costs less than sending it several times what it lacks. After {@code stalls} rounds whose
     * fragments reached it but did not help, it gets 2^stalls times that (at most 2^{@value #MAX_STALL_DOUBLINGS}).
     */
    static int repair(int missing, int received, int sent, int stalls) {
        if (missing <= 0) {
            return 0;
        }
        double delivered = received <= 0 || sent <= 0 ? 0.5 : Math.min(1.0, (double) received / sent);
        double expected = missing / Math.max(delivered, 0.5);
        return (int) Math.ceil(expected + Math.sqrt(expected)) << Math.min(Math.max(stalls, 0), MAX_STALL_DOUBLINGS);
    }

    private static final int MAX_STALL_DOUBLINGS = 4;

    // uncoded fragments sent again in a repair round that needs them: at 20% loss one of 3 arrives 99.2% of the time
    private static final int UNCODED_AGAIN = 3;

    /**
     * Whether a multicast device needs uncoded fragments sent again, which coded ones cannot replace. TS004 v2.0.0's
     * rows each set exactly M/2 distinct fragments; when M/2 is even every row has an even number of bits, so the XOR
     * of all M fragments lies outside what any number of coded fragments can tell: a device that received no uncoded
     * fragment stays one short for ever (in a sweep of 60 seeds of 20 devices at 20% loss and M = 33, 29 of 1200
     * multicast devices failed so; they had joined late, after the uncoded fragments). That is a multicast device that
     * joined after the last uncoded fragment, or any device whose repairs reached it without helping.
     */
    // the next few uncoded fragments, in turn, so that rounds that need them again send others
    private void againUncoded(Deque<Integer> counters) {
        for (int i = 0; i < UNCODED_AGAIN; i++) {
            counters.add(uncodedCursor % encoder.nbFrag() + 1);
            uncodedCursor++;
        }
    }

    private boolean needsUncoded(Device d) {
        if (plan.version() != Ts004Version.V2_0_0 || encoder.nbFrag() / 2 % 2 != 0 || d.missing <= 0) {
            return false;
        }
        return d.stalls > 0 || d.listensFrom != null && firstCounterFrom(d.listensFrom) > encoder.nbFrag();
    }

    private void finish() {
        phase = Phase.FINISHED;
        finished = now;
        queue.clear();
    }

    private Transmission sendNext() {
        // the devices' own requests first: they are few and the session waits on them
        for (Iterator<Pending> it = queue.iterator(); it.hasNext();) {
            Pending p = it.next();
            it.remove();
            if (p.device.state != State.ACTIVE && p.step != null) {
                continue;
            }
            Transmission t = transmit(p.device.participant.devEui(), p.port, p.frame, 0);
            if (p.doneOnSend) {
                p.device.done();
            }
            if (p.step != null && p.device.awaiting == p.step) {
                Duration wait = p.step == Step.STATUS ? Duration.ofSeconds(16L << plan.blockAckDelay())
                        : Duration.ZERO;
                p.device.deadline = t.start().plus(Duration.ofNanos(t.airtimeMicros() * 1000)).plus(wait)
                        .plus(plan.answerTimeout());
            }
            return t;
        }
        if (phase == Phase.FRAGMENTS) {
            if (plan.multicast() != null) {
                if (now.isBefore(sessionStart) || sentCounter >= targetCounter && uncodedAgain.isEmpty()) {
                    return null;
                }
                if (!now.isBefore(windowEnd)) {
                    windowClosed();
                    return null;
                }
                if (!uncodedAgain.isEmpty()) {
                    return sendFragment(null, uncodedAgain.poll());
                }
                return sendFragment(null, ++sentCounter);
            }
            List<Device> list = new ArrayList<>(devices.values());
            for (int i = 0; i < list.size(); i++) {
                Device d = list.get((unicastCursor + i) % list.size());
                if (unicastFragmentDue(d)) {
                    unicastCursor = (unicastCursor + i + 1) % list.size();
                    return sendFragment(d.participant.devEui(), d.uncodedAgain.isEmpty() ? ++d.sentCounter
                            : d.uncodedAgain.poll());
                }
            }
            return null;
        }
        if (phase == Phase.STATUS && plan.multicast() != null && !statusSent) {
            if (!now.isBefore(windowEnd)) {
                windowClosed();
                return null;
            }
            statusSent = true;
            Transmission t = transmit(null, Fragmentation.PORT,
                    ts004.encode(new FragSessionStatusReq(plan.fragIndex(), true)), 0);
            statusUntil = t.start().plus(Duration.ofNanos(t.airtimeMicros() * 1000))
                    .plusSeconds(16L << plan.blockAckDelay()).plus(plan.answerTimeout());
            return t;
        }
        return null;
    }

    private void windowClosed() {
        for (Device d : devices.values()) {
            d.fail("the Class C session ended (2^" + classCTimeout + " s) before its block was complete"
                    + (d.missing < 0 ? "" : ", " + d.missing + " fragments still missing"));
        }
        finish();
    }

    private boolean somethingToSend() {
        if (!queue.isEmpty()) {
            return true;
        }
        return switch (phase) {
            case FRAGMENTS -> plan.multicast() != null ? sentCounter < targetCounter || !uncodedAgain.isEmpty()
                    : devices.values().stream().anyMatch(this::unicastFragmentDue);
            case STATUS -> plan.multicast() != null && !statusSent;
            default -> false;
        };
    }

    private Transmission sendFragment(String devEui, int counter) {
        byte[] frame = ts004.encode(new DataFragment(plan.fragIndex(), counter, encoder.fragment(counter)));
        Transmission t = transmit(devEui, Fragmentation.PORT, frame, counter);
        if (firstFragment == null) {
            firstFragment = t.start();
        }
        // by counter: an uncoded fragment sent again keeps its first time
        if (devEui == null && counter == fragmentTimes.size() + 1) {
            fragmentTimes.add(t.start());
        }
        fragmentsSent++;
        fragmentAirtimeMicros += t.airtimeMicros();
        if (counter > encoder.nbFrag()) {
            codedSent++;
        }
        return t;
    }

    private Transmission transmit(String devEui, int port, byte[] frame, int counter) {
        long airtime = dataRate.airtimeMicros(frame.length);
        budget.transmit(plan.frequencyHz(), now, airtime);
        downlinks++;
        airtimeMicros += airtime;
        return new Transmission(devEui, plan.multicast() == null ? 0 : plan.multicast().mcAddr(), port, frame, now,
                plan.frequencyHz(), dataRate, airtime, counter);
    }
}
