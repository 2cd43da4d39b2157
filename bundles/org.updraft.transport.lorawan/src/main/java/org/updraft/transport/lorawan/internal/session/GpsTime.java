package org.updraft.transport.lorawan.internal.session;

import java.time.Instant;

/**
 * GPS time as LoRaWAN counts it (TS003's DeviceTime, TS005's SessionTime): seconds since 1980-01-06T00:00:00Z,
 * which runs 18 leap seconds ahead of UTC since 2017, modulo 2^32.
 */
public final class GpsTime {

    private static final long GPS_EPOCH_UNIX = 315_964_800L;
    private static final long LEAP_SECONDS = 18;

    private GpsTime() {
    }

    public static long seconds(Instant utc) {
        return (utc.getEpochSecond() - GPS_EPOCH_UNIX + LEAP_SECONDS) & 0xFFFF_FFFFL;
    }

    /** The UTC instant of GPS second {@code gps} (the epoch of 2^32 seconds that holds 1980 to 2116). */
    public static Instant instant(long gps) {
        return Instant.ofEpochSecond(gps + GPS_EPOCH_UNIX - LEAP_SECONDS);
    }
}
