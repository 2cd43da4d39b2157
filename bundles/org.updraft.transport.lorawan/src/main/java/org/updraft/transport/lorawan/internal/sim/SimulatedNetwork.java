package org.updraft.transport.lorawan.internal.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BiPredicate;

import org.updraft.transport.lorawan.internal.radio.DataRate;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.Transmission;

/**
 * A network server, its gateway and its devices in simulated time, driving one {@link FuotaSession}: downlinks
 * reach each device at the end of their airtime unless the device's downlink loses them; uplinks reach the
 * session at the end of theirs (at the session's data rate) unless the device's uplink loses them. Unicast
 * downlinks are delivered as to Class C devices (ChirpStack sends them at once). Time jumps from one event to the
 * next; a run of hours takes milliseconds. Seeded: the same seed replays the same run.
 */
public final class SimulatedNetwork {

    private record Event(Instant at, long order, Runnable action) {
    }

    private final FuotaSession session;
    private final Random random;
    private final Map<String, SimulatedDevice> devices = new LinkedHashMap<>();
    private final Map<String, LossModel> downlinkLoss = new LinkedHashMap<>();
    private final Map<String, LossModel> uplinkLoss = new LinkedHashMap<>();
    private final PriorityQueue<Event> events = new PriorityQueue<>(
            (a, b) -> a.at.equals(b.at) ? Long.compare(a.order, b.order) : a.at.compareTo(b.at));
    private long order;
    private Instant now;
    private boolean replayUplinks;
    private BiPredicate<String, Transmission> lose = (devEui, t) -> false;
    private int downlinksLost;
    private int uplinksSent;
    private int uplinksLost;
    private int replaysSent;
    private int replaysDelivered;

    public SimulatedNetwork(FuotaSession session, Instant start, Random random) {
        this.session = session;
        this.now = start;
        this.random = random;
    }

    /** Adds a device with the loss of its downlink and its uplink. */
    public void add(SimulatedDevice device, LossModel downlink, LossModel uplink) {
        devices.put(device.devEui(), device);
        downlinkLoss.put(device.devEui(), downlink);
        uplinkLoss.put(device.devEui(), uplink);
    }

    /**
     * Downlinks lost on top of each device's loss: those {@code rule} picks, given the device and the frame (a test
     * losing one device's particular requests).
     */
    public void lose(BiPredicate<String, Transmission> rule) {
        this.lose = rule;
    }

    /** An attacker, or a confused radio, sends every uplink the session hears a second time, unchanged. */
    public void replayUplinks(boolean on) {
        this.replayUplinks = on;
    }

    /**
     * The device sends {@code frame} on {@code fPort} at {@code at} with its next frame counter (as buggy or
     * hostile firmware would; the network server passes on whatever the device authenticates).
     */
    public void injectFromDevice(Instant at, String devEui, int fPort, byte[] frame) {
        SimulatedDevice d = devices.get(devEui);
        schedule(at, () -> uplink(d, at, fPort, frame));
    }

    /** A frame from a device the session does not know, heard at {@code at}. */
    public void injectFromStranger(Instant at, String devEui, long fCnt, int fPort, byte[] frame) {
        schedule(at, () -> session.onUplink(devEui, fCnt, fPort, frame, at));
    }

    public Instant now() {
        return now;
    }

    public SimulatedDevice device(String devEui) {
        return devices.get(devEui);
    }

    public Map<String, SimulatedDevice> devices() {
        return devices;
    }

    public int downlinksLost() {
        return downlinksLost;
    }

    public int uplinksSent() {
        return uplinksSent;
    }

    public int uplinksLost() {
        return uplinksLost;
    }

    public int replaysSent() {
        return replaysSent;
    }

    /** Replays the session heard (those due after it finished are never heard). */
    public int replaysDelivered() {
        return replaysDelivered;
    }

    /**
     * Runs until the session finishes or {@code limit} of simulated time has passed.
     *
     * @return whether the session finished
     */
    public boolean run(Duration limit) {
        Instant end = now.plus(limit);
        Instant last = null;
        int atSameInstant = 0;
        if (session.report().started() == null) {
            for (Transmission t : session.poll(now)) {
                deliver(t);
            }
        }
        while (session.phase() != FuotaSession.Phase.FINISHED) {
            Instant wake = session.nextWake();
            Event next = events.peek();
            Instant at = wake;
            if (next != null && (at == null || next.at.isBefore(at))) {
                at = next.at;
            }
            if (at == null || at.isAfter(end)) {
                return false;
            }
            if (at.isAfter(now)) {
                now = at;
            }
            // a session that keeps asking for the same instant without sending would spin for ever
            atSameInstant = now.equals(last) ? atSameInstant + 1 : 0;
            last = now;
            if (atSameInstant > 10_000) {
                throw new IllegalStateException("the session makes no progress at " + now + " in phase "
                        + session.phase());
            }
            while (!events.isEmpty() && !events.peek().at.isAfter(now)) {
                events.poll().action.run();
            }
            for (Transmission t : session.poll(now)) {
                deliver(t);
            }
        }
        return true;
    }

    private void schedule(Instant at, Runnable action) {
        events.add(new Event(at, order++, action));
    }

    private void deliver(Transmission t) {
        Instant arrives = t.start().plus(Duration.ofNanos(t.airtimeMicros() * 1000));
        if (t.multicast()) {
            for (SimulatedDevice d : devices.values()) {
                deliverTo(d, t, arrives);
            }
        } else {
            SimulatedDevice d = devices.get(t.devEui());
            if (d != null) {
                deliverTo(d, t, arrives);
            }
        }
    }

    private void deliverTo(SimulatedDevice d, Transmission t, Instant arrives) {
        if (downlinkLoss.get(d.devEui()).lost(random, t.start()) || lose.test(d.devEui(), t)) {
            downlinksLost++;
            return;
        }
        schedule(arrives, () -> {
            for (SimulatedDevice.Sent s : d.receive(t.fPort(), t.frame(), t.multicast(), t.mcAddr(), arrives)) {
                schedule(s.at(), () -> uplink(d, s.at(), s.fPort(), s.frame()));
            }
        });
    }

    private void uplink(SimulatedDevice d, Instant at, int fPort, byte[] frame) {
        long fCnt = d.takeFCnt();
        uplinksSent++;
        if (uplinkLoss.get(d.devEui()).lost(random, at)) {
            uplinksLost++;
            return;
        }
        DataRate rate = session.plan().region().dataRate(session.plan().dataRate());
        Instant arrives = at.plus(Duration.ofNanos(rate.airtimeMicros(frame.length) * 1000));
        schedule(arrives, () -> session.onUplink(d.devEui(), fCnt, fPort, frame, arrives));
        if (replayUplinks) {
            replaysSent++;
            Instant again = arrives.plusSeconds(1);
            schedule(again, () -> {
                replaysDelivered++;
                session.onUplink(d.devEui(), fCnt, fPort, frame, again);
            });
        }
    }

    /** The session's devices, for a caller that wants them in order. */
    public List<SimulatedDevice> deviceList() {
        return List.copyOf(devices.values());
    }
}
