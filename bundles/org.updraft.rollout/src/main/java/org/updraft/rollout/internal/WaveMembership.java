package org.updraft.rollout.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;

import org.updraft.api.device.Device;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;

/**
 * Which wave of a rollout takes a device: the first whose selector takes it. A {@link WaveSelector.Devices}
 * wave takes the listed ids, a {@link WaveSelector.Region} wave the devices of its region, and a
 * {@link WaveSelector.Percent} wave a device when its draw for that wave is below the percentage:
 *
 * <pre>
 * draw(rolloutId, waveIndex, deviceId) = first 8 bytes, big-endian unsigned, of
 *     SHA-256(UTF-8(rolloutId + "/" + waveIndex + "/" + deviceId))        (waveIndex in decimal, from 0)
 * taken when draw &lt; floor(percent / 100 × 2^64)
 * </pre>
 *
 * A draw is independent per wave, so a percentage wave takes that share of the devices no earlier wave took.
 * The result depends only on the rollout id, the waves and the device's id and region: every node, and any
 * auditor holding the ledger and the fleet list, computes the same. Whether the device is in the rollout's
 * target at all is the caller's question (the registry's filter answers it).
 */
public final class WaveMembership {

    /** No wave takes the device. */
    public static final int NONE = -1;

    private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

    private WaveMembership() {
    }

    /**
     * The index of the first wave that takes the device, or {@link #NONE}.
     *
     * @param region the device's region, or {@code null}
     */
    public static int waveOf(String rolloutId, List<WaveSpec> waves, String deviceId, String region) {
        Objects.requireNonNull(rolloutId, "rolloutId");
        Objects.requireNonNull(deviceId, "deviceId");
        for (int i = 0; i < waves.size(); i++) {
            if (takes(rolloutId, i, waves.get(i).selector(), deviceId, region)) {
                return i;
            }
        }
        return NONE;
    }

    /** {@link #waveOf(String, List, String, String)} for a registered device. */
    public static int waveOf(String rolloutId, List<WaveSpec> waves, Device device) {
        return waveOf(rolloutId, waves, device.id(), device.region());
    }

    /** Whether wave {@code waveIndex}'s selector takes the device, leaving earlier waves aside. */
    public static boolean takes(String rolloutId, int waveIndex, WaveSelector selector, String deviceId,
            String region) {
        if (selector instanceof WaveSelector.Devices d) {
            return d.ids().contains(deviceId);
        }
        if (selector instanceof WaveSelector.Region r) {
            return r.region().equals(region);
        }
        WaveSelector.Percent p = (WaveSelector.Percent) selector;
        return p.percent() >= 100 || Long.compareUnsigned(draw(rolloutId, waveIndex, deviceId), limit(p.percent())) < 0;
    }

    /** The device's draw for a wave: the first 8 bytes of the SHA-256 above, as an unsigned 64-bit number. */
    public static long draw(String rolloutId, int waveIndex, String deviceId) {
        byte[] digest = sha256().digest((rolloutId + "/" + waveIndex + "/" + deviceId).getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(digest, 0, 8).getLong();
    }

    /** floor(percent / 100 × 2^64), as an unsigned 64-bit number; percent below 100. */
    static long limit(double percent) {
        BigInteger l = new BigDecimal(percent).multiply(new BigDecimal(TWO_TO_64)).divide(BigDecimal.valueOf(100))
                .toBigInteger();
        return l.longValue(); // the low 64 bits: the unsigned value, as percent < 100 keeps it below 2^64
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
