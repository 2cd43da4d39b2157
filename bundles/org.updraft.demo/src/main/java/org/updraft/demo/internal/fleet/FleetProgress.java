package org.updraft.demo.internal.fleet;

import java.time.Duration;
import java.util.Map;

import org.updraft.api.device.DeviceState;

/**
 * A snapshot of a running fleet, for live progress.
 *
 * @param elapsed since the fleet started
 * @param devices devices in the fleet
 * @param states how many devices are in each state ({@link DeviceState#IDLE}: waiting for an offer)
 * @param bytesDownloaded image bytes received by all devices so far
 * @param retransmissions CoAP retransmissions so far
 * @param blockRetries block requests repeated after an exchange was given up
 * @param datagramsDropped datagrams lost by fault injection
 */
public record FleetProgress(Duration elapsed, int devices, Map<DeviceState, Integer> states, long bytesDownloaded,
        long retransmissions, long blockRetries, long datagramsDropped) {

    public FleetProgress {
        states = Map.copyOf(states);
    }

    /** Devices in {@code state}. */
    public int count(DeviceState state) {
        return states.getOrDefault(state, 0);
    }

    /** Devices that ended their update: installed, failed or rolled back. */
    public int finished() {
        return count(DeviceState.INSTALLED) + count(DeviceState.FAILED) + count(DeviceState.ROLLED_BACK);
    }

    @Override
    public String toString() {
        return String.format("%5.1fs  waiting %d  downloading %d  downloaded %d  verified %d  installed %d  failed %d"
                + "  rolled-back %d  |  %.1f MiB, %d retransmissions", elapsed.toMillis() / 1000.0,
                count(DeviceState.IDLE), count(DeviceState.DOWNLOADING), count(DeviceState.DOWNLOADED),
                count(DeviceState.VERIFIED), count(DeviceState.INSTALLED), count(DeviceState.FAILED),
                count(DeviceState.ROLLED_BACK), bytesDownloaded / 1048576.0, retransmissions);
    }
}
