package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;

/**
 * A rollout to 10,000 devices in one thread on the real (unsynced) local ledger: prints checks and reports per
 * second. A figure to watch, not a target: nothing here is asserted about speed.
 */
class ThroughputTest {

    @TempDir
    Path dir;

    @Test
    void tenThousandDevicesCheckAndReport() throws Exception {
        try (Platform p = new Platform(dir)) {
            List<String> ids = p.fleet("dev", 10_000, "eu", "us", "ap");
            Release release = p.publish(2);
            Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(
                    new WaveSpec("canary", WaveSelector.parse("devices:dev-00000,dev-00001"), 100, 50, true, null, 0),
                    new WaveSpec("rest", new WaveSelector.Percent(100), 99, 5, true, null, 0))), "bench");
            p.rollouts.start(r.id(), "bench");
            p.update("dev-00000", DeviceState.INSTALLED);
            p.update("dev-00001", DeviceState.INSTALLED);

            List<byte[]> reports = new ArrayList<>();
            long t0 = System.nanoTime();
            int offers = 0;
            for (String id : ids.subList(2, ids.size())) {
                if (p.updates.check(id, 1) instanceof UpdateAnswer.Offer) {
                    offers++;
                }
            }
            long t1 = System.nanoTime();
            // the second round is what a polling fleet mostly does: no first offer to append
            for (String id : ids.subList(2, ids.size())) {
                p.updates.check(id, 1);
            }
            long t2 = System.nanoTime();
            for (String id : ids.subList(2, ids.size())) {
                reports.add(p.report(id, r.id(), release.id(), DeviceState.INSTALLED, 2));
            }
            long t3 = System.nanoTime();
            for (byte[] report : reports) {
                p.updates.report(report);
            }
            long t4 = System.nanoTime();
            assertEquals(9_998, offers);
            assertEquals(RolloutState.COMPLETED, p.rollouts.find(r.id()).get().state());
            int n = ids.size() - 2;
            System.out.printf("rollout throughput, %d devices, one thread: first checks %.0f/s (each appends an offer), "
                    + "repeat checks %.0f/s, reports %.0f/s (verify + append + thresholds; signing them took %.1f s)%n",
                    n, n / sec(t1 - t0), n / sec(t2 - t1), n / sec(t4 - t3), sec(t3 - t2));
        }
    }

    private static double sec(long nanos) {
        return nanos / 1e9;
    }
}
