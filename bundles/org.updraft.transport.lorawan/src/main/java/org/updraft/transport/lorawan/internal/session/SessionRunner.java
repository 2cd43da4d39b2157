package org.updraft.transport.lorawan.internal.session;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.updraft.transport.lorawan.internal.chirpstack.Uplink;

/**
 * Runs a {@link FuotaSession} against a live link in (possibly accelerated) real time, on the caller's thread:
 * uplinks arrive from the link's thread through {@link #uplink}, and the runner feeds them to the session, sends
 * what the session asks for when it asks, and waits in between. A frame the link fails to send is counted
 * ({@code send-failed}) and left to the session's timeouts and repair rounds, as a lost downlink would be.
 */
public final class SessionRunner {

    /** Where the session's frames go. */
    @FunctionalInterface
    public interface Link {
        void send(Transmission transmission) throws Exception;
    }

    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final FuotaSession session;
    private final ScaledClock clock;
    private final Link link;
    private final LinkedBlockingQueue<Uplink> inbox = new LinkedBlockingQueue<>(10_000);
    private Instant last;
    private final java.util.concurrent.atomic.AtomicLong overflow = new java.util.concurrent.atomic.AtomicLong();

    public SessionRunner(FuotaSession session, ScaledClock clock, Link link) {
        this.session = Objects.requireNonNull(session, "session");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.link = Objects.requireNonNull(link, "link");
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
        Instant end = clock.instant().plus(limit);
        while (true) {
            Instant now = now();
            Uplink u;
            while ((u = inbox.poll()) != null) {
                session.onUplink(u.devEui(), u.fCnt(), u.fPort(), u.data(), now);
            }
            for (Transmission t : session.poll(now)) {
                try {
                    link.send(t);
                } catch (Exception e) {
                    session.refusals().refused("send-failed", t + ": " + e);
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
                long sessionNanos = Duration.between(clock.instant(), wake).toNanos();
                waitNanos = Math.max(0, Math.min(waitNanos, (long) (sessionNanos / clock.speedup())));
            }
            Uplink arrived = waitNanos == 0 ? null : inbox.poll(waitNanos, TimeUnit.NANOSECONDS);
            if (arrived != null) {
                session.onUplink(arrived.devEui(), arrived.fCnt(), arrived.fPort(), arrived.data(), now());
            }
        }
    }

    // the session refuses time running backwards; the clock is monotonic, this keeps it so across calls
    private Instant now() {
        Instant now = clock.instant();
        if (last != null && now.isBefore(last)) {
            now = last;
        }
        last = now;
        return now;
    }
}
