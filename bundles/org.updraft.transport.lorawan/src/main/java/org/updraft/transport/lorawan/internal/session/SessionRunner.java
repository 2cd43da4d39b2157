package org.updraft.transport.lorawan.internal.session;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.updraft.transport.lorawan.internal.chirpstack.Uplink;

/**
 * Runs a {@link FuotaSession} against a live link in (possibly accelerated) real time, on the caller's thread:
 * uplinks arrive from the link's thread through {@link #uplink}, and the runner feeds them to the session, sends
 * what the session asks for when it asks, and waits in between. A frame the link fails to send is counted
 * ({@code send-failed}) and left to the session's timeouts and repair rounds, as a lost downlink would be.
 *
 * <p>While the link is down (the broker went away), or up with nobody taking the frames (the network server is not
 * subscribed), the session pauses: nothing is sent and the session's clock
 * stands still, so that the outage costs no setup attempts, status rounds or Class C time; when the link is back the
 * session resumes where it stood. Uplinks lost in the outage are left to the session's retries. An outage longer
 * than the runner's patience ends the run unfinished.
 */
public final class SessionRunner {

    /** Where the session's frames go. */
    @FunctionalInterface
    public interface Link {
        /**
         * @throws NotTaken when nothing on the far side took the frame (the network server is away while the broker
         *     is up): the session pauses and the frame is sent again
         */
        void send(Transmission transmission) throws Exception;
    }

    /** The link is up but nobody took the frame: it was not sent, and is sent again once someone does. */
    public static final class NotTaken extends Exception {
        private static final long serialVersionUID = 1L;

        public NotTaken(String message) {
            super(message);
        }
    }

    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final FuotaSession session;
    private final ScaledClock clock;
    private final Link link;
    private final LinkedBlockingQueue<Uplink> inbox = new LinkedBlockingQueue<>(10_000);
    private final BooleanSupplier linkUp;
    private final Duration maxOutage;
    private Instant last;
    private final AtomicLong overflow = new AtomicLong();
    // the session's time is the clock's less the time spent paused
    private Duration paused = Duration.ZERO;
    private volatile int pauses;

    /** A runner for a link that is never down. */
    public SessionRunner(FuotaSession session, ScaledClock clock, Link link) {
        this(session, clock, link, () -> true, Duration.ofDays(365));
    }

    /**
     * @param linkUp whether frames can be sent now; while it says no, the session pauses
     * @param maxOutage how long (in the clock's time) one outage may last before {@link #run} gives up
     */
    public SessionRunner(FuotaSession session, ScaledClock clock, Link link, BooleanSupplier linkUp,
            Duration maxOutage) {
        this.session = Objects.requireNonNull(session, "session");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.link = Objects.requireNonNull(link, "link");
        this.linkUp = Objects.requireNonNull(linkUp, "linkUp");
        this.maxOutage = Objects.requireNonNull(maxOutage, "maxOutage");
    }

    /** How often the session paused for the link. */
    public int pauses() {
        return pauses;
    }

    /** How long the session stood paused in all, in the clock's time. */
    public Duration pausedFor() {
        return paused;
    }

    /** Takes an uplink from any thread; past 10,000 waiting ones (a flood) further ones are dropped and counted. */
    public void uplink(Uplink uplink) {
        if (!inbox.offer(uplink)) {
            overflow.incrementAndGet();
        }
    }

    /** Uplinks dropped because too many were waiting. */
    public long overflow() {
        return overflow.get();
    }

    /**
     * Runs until the session finishes or {@code limit} of the session's time has passed.
     *
     * @return whether the session finished
     */
    public boolean run(Duration limit) throws InterruptedException {
        Instant end = now().plus(limit);
        while (true) {
            if (!linkUp.getAsBoolean() && !waitForLink()) {
                return false;
            }
            Instant now = now();
            Uplink u;
            while ((u = inbox.poll()) != null) {
                session.onUplink(u.devEui(), u.fCnt(), u.fPort(), u.data(), now);
            }
            for (Transmission t : session.poll(now)) {
                if (!send(t)) {
                    return false;
                }
            }
            if (session.phase() == FuotaSession.Phase.FINISHED) {
                return true;
            }
            if (now.isAfter(end)) {
                return false;
            }
            Instant wake = session.nextWake();
            long waitNanos = MAX_WAIT_NANOS;
            if (wake != null) {
                long sessionNanos = Duration.between(now(), wake).toNanos();
                waitNanos = Math.max(0, Math.min(waitNanos, (long) (sessionNanos / clock.speedup())));
            }
            Uplink arrived = waitNanos == 0 ? null : inbox.poll(waitNanos, TimeUnit.NANOSECONDS);
            if (arrived != null) {
                session.onUplink(arrived.devEui(), arrived.fCnt(), arrived.fPort(), arrived.data(), now());
            }
        }
    }

    /**
     * Sends one frame; while nobody takes it, pauses the session and sends it again every 200 ms, so that frames and
     * status requests are not spent on a network server that is not listening. False when that outlasted
     * {@code maxOutage}.
     */
    private boolean send(Transmission t) throws InterruptedException {
        Instant from = null;
        try {
            while (true) {
                if (from != null && !linkUp.getAsBoolean()) {
                    // the broker went away too: wait for it within the same pause
                    if (Duration.between(from, clock.instant()).compareTo(maxOutage) > 0) {
                        return false;
                    }
                    Thread.sleep(MAX_WAIT_NANOS / 1_000_000);
                    continue;
                }
                try {
                    link.send(t);
                    return true;
                } catch (NotTaken e) {
                    if (from == null) {
                        from = clock.instant();
                        pauses++;
                        session.refusals().refused("not-taken", t + ": " + e.getMessage() + "; the session pauses");
                    }
                    if (Duration.between(from, clock.instant()).compareTo(maxOutage) > 0) {
                        return false;
                    }
                    Thread.sleep(MAX_WAIT_NANOS / 1_000_000);
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    session.refusals().refused("send-failed", t + ": " + e);
                    return true;
                }
            }
        } finally {
            if (from != null) {
                paused = paused.plus(Duration.between(from, clock.instant()));
            }
        }
    }

    /** Pauses the session until the link is up; false when the outage outlasted {@code maxOutage}. */
    private boolean waitForLink() throws InterruptedException {
        Instant from = clock.instant();
        pauses++;
        try {
            while (!linkUp.getAsBoolean()) {
                if (Duration.between(from, clock.instant()).compareTo(maxOutage) > 0) {
                    return false;
                }
                Thread.sleep(MAX_WAIT_NANOS / 1_000_000);
            }
            return true;
        } finally {
            paused = paused.plus(Duration.between(from, clock.instant()));
        }
    }

    // the session refuses time running backwards; the clock is monotonic, this keeps it so across calls
    private Instant now() {
        Instant now = clock.instant().minus(paused);
        if (last != null && now.isBefore(last)) {
            now = last;
        }
        last = now;
        return now;
    }
}
