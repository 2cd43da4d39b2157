package org.updraft.transport.lorawan.internal.session;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that starts at {@code origin} and runs {@code speedup} times faster than the JVM's monotonic clock: a
 * session of hours shown in minutes against a real broker, its airtime and duty cycle intact in the session's own
 * time. {@code speedup} 1 is real time.
 */
public final class ScaledClock extends Clock {

    private final Instant origin;
    private final double speedup;
    private final long startNanos;

    public ScaledClock(Instant origin, double speedup) {
        if (!(speedup >= 1 && speedup <= 1_000_000)) {
            throw new IllegalArgumentException("the speedup must be 1 to 1000000, not " + speedup);
        }
        this.origin = origin;
        this.speedup = speedup;
        this.startNanos = System.nanoTime();
    }

    public double speedup() {
        return speedup;
    }

    @Override
    public Instant instant() {
        return origin.plusNanos((long) ((System.nanoTime() - startNanos) * speedup));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a session's clock is UTC");
    }
}
