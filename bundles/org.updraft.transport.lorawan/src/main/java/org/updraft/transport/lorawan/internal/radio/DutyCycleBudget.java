package org.updraft.transport.lorawan.internal.radio;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * When a gateway may transmit next, per sub-band: after a frame of airtime T at duty cycle d the sub-band stays
 * silent until T/d has passed since the frame started (the off-time rule LoRaWAN stacks apply per band). One duty
 * cycle applies to every sub-band (1% unless configured), lowered to a sub-band's regulatory limit where that is
 * stricter; a sub-band can be given its own, up to its limit (869.525 MHz for Class C downlinks allows 10%).
 * Not thread safe: one session's pacing.
 */
public final class DutyCycleBudget {

    /** The share of time a gateway transmits unless told otherwise. */
    public static final double DEFAULT_DUTY_CYCLE = 0.01;

    private final Region region;
    private final Map<String, Double> dutyCycles = new HashMap<>();
    private final Map<String, Instant> silentUntil = new HashMap<>();
    private long airtimeMicros;

    public DutyCycleBudget(Region region) {
        this(region, DEFAULT_DUTY_CYCLE, Map.of());
    }

    /**
     * @param defaultDutyCycle the share of time for every sub-band (0 exclusive to 1 inclusive), lowered to a
     *     sub-band's limit where that is stricter
     * @param perSubBand duty cycles by sub-band name
     * @throws IllegalArgumentException for a share outside (0, 1], an unknown sub-band, or a share above a
     *     sub-band's regulatory limit
     */
    public DutyCycleBudget(Region region, double defaultDutyCycle, Map<String, Double> perSubBand) {
        this.region = region;
        requireShare("the default duty cycle", defaultDutyCycle);
        for (SubBand band : region.subBands()) {
            dutyCycles.put(band.name(), Math.min(defaultDutyCycle, band.maxDutyCycle()));
        }
        perSubBand.forEach((name, share) -> {
            SubBand band = region.subBand(name);
            requireShare("sub-band " + name + "'s duty cycle", share);
            if (share > band.maxDutyCycle()) {
                throw new IllegalArgumentException(region.name() + " sub-band " + name + " allows at most "
                        + percent(band.maxDutyCycle()) + ", not " + percent(share));
            }
            dutyCycles.put(name, share);
        });
    }

    static void requireShare(String what, double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException(what + " must be above 0 and at most 1, not " + share);
        }
    }

    private static String percent(double share) {
        return (share * 100) + "%";
    }

    public Region region() {
        return region;
    }

    /** The duty cycle that applies at {@code frequencyHz}. */
    public double dutyCycle(long frequencyHz) {
        return dutyCycles.get(region.subBand(frequencyHz).name());
    }

    /** The earliest moment at or after {@code now} a frame may start on {@code frequencyHz}. */
    public Instant earliest(long frequencyHz, Instant now) {
        Instant until = silentUntil.get(region.subBand(frequencyHz).name());
        return until != null && until.isAfter(now) ? until : now;
    }

    /**
     * Spends a frame of {@code airtimeMicros} starting at {@code start} on {@code frequencyHz}.
     *
     * @return when the sub-band may carry the next frame
     * @throws IllegalStateException when the sub-band must still be silent at {@code start}; nothing is spent
     */
    public Instant transmit(long frequencyHz, Instant start, long airtimeMicros) {
        if (airtimeMicros <= 0) {
            throw new IllegalArgumentException("a frame lasts some time, not " + airtimeMicros + " µs");
        }
        SubBand band = region.subBand(frequencyHz);
        Instant until = silentUntil.get(band.name());
        if (until != null && until.isAfter(start)) {
            throw new IllegalStateException("sub-band " + band.name() + " must stay silent until " + until
                    + " (duty cycle " + percent(dutyCycles.get(band.name())) + "), a frame cannot start at " + start);
        }
        // 1e-6 µs of slack: airtime / 0.01 is not exact in binary, and must not round up a whole microsecond
        long cycleMicros = (long) Math.ceil(airtimeMicros / dutyCycles.get(band.name()) - 1e-6);
        Instant next = start.plus(Duration.ofNanos(cycleMicros * 1000));
        silentUntil.put(band.name(), next);
        this.airtimeMicros += airtimeMicros;
        return next;
    }

    /** The airtime spent so far, on every sub-band. */
    public long airtimeMicros() {
        return airtimeMicros;
    }
}
