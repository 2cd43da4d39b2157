package org.updraft.demo.internal.fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.updraft.device.UpdateOutcome;

/**
 * How a fleet run ended.
 *
 * @param devices devices in the fleet
 * @param updated devices that installed, booted and confirmed the new image
 * @param failed devices that refused the release or its image, or could not download it (nothing installed)
 * @param rolledBack devices whose new image did not boot and that went back to the old one
 * @param unfinished devices stopped at the deadline, or refused by the platform (see {@code problems})
 * @param reasons failure and rollback reasons, with how many devices gave each
 * @param problems why unfinished devices stopped, with counts
 * @param elapsed from start to the last device's end
 * @param bytesDownloaded image bytes received, repeats included
 * @param blockRequests block requests sent, repeats included
 * @param blockRetries block requests repeated after CoAP gave up on an exchange
 * @param retransmissions CoAP retransmissions
 * @param datagramsDropped datagrams lost by fault injection
 * @param reportsUndelivered reports the platform never acknowledged
 * @param outcomes each finished device's outcome
 */
public record FleetSummary(int devices, int updated, int failed, int rolledBack, int unfinished,
        Map<String, Integer> reasons, Map<String, Integer> problems, Duration elapsed, long bytesDownloaded,
        long blockRequests, long blockRetries, long retransmissions, long datagramsDropped, long reportsUndelivered,
        List<UpdateOutcome> outcomes) {

    public FleetSummary {
        reasons = Map.copyOf(reasons);
        problems = Map.copyOf(problems);
        outcomes = List.copyOf(outcomes);
    }

    /** Devices that ended their update per second of the run. */
    public double finishedPerSecond() {
        double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
        return (updated + failed + rolledBack) / seconds;
    }

    /** Image bytes per second over the run. */
    public double bytesPerSecond() {
        return bytesDownloaded / (Math.max(elapsed.toMillis(), 1) / 1000.0);
    }

    @Override
    public String toString() {
        return String.format("%d devices: %d updated, %d failed, %d rolled back, %d unfinished in %.1f s"
                + " (%.1f devices/s); %.2f MiB downloaded (%.2f MiB/s) in %d block requests, %d block retries,"
                + " %d CoAP retransmissions, %d datagrams dropped, %d reports undelivered; reasons %s%s",
                devices, updated, failed, rolledBack, unfinished, elapsed.toMillis() / 1000.0, finishedPerSecond(),
                bytesDownloaded / 1048576.0, bytesPerSecond() / 1048576.0, blockRequests, blockRetries,
                retransmissions, datagramsDropped, reportsUndelivered, reasons,
                problems.isEmpty() ? "" : "; problems " + problems);
    }
}
