package org.updraft.itests.distribution;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

/**
 * Fresh copies of the distribution boot to the end and stop, one after another (issue 11: a first boot hung for
 * good in 2 of 39 starts on a loaded machine, its boot features installer waiting on a refresh that waited on a
 * bundle lock).
 *
 * <p>The hang needs a refresh during the first boot; the distribution must not cause one. Until EventAdmin became
 * a startup bundle, the boot features brought it, pax-logging imports its package optionally, and the features
 * service stopped and refreshed pax-logging and every bundle wired to it (config admin, fileinstall, itself) in
 * the middle of the boot. So every copy's first boot is checked for "Stopping bundles:" and "Refreshing
 * bundles:" in its karaf.log, which catches the cause on every start where the hang itself shows only now and
 * then.
 *
 * <p>Each copy is unpacked anew (empty data/), started with bin/karaf server until the features service reports
 * BootFinished, then ended with SIGTERM as a service manager would. A boot that logs nothing for
 * {@link KarafProcess#START_STALL} (or lasts {@link KarafProcess#START_LIMIT}) and a stop that takes longer than
 * {@link KarafProcess#STOP_TIMEOUT} get the JVM's threads dumped with jstack (the failure names the file under
 * target/distributions) and Karaf killed. {@code -Dupdraft.itest.freshStarts=N}
 * sets the number of starts (30).
 */
public class DistributionFreshStartIT {

    private static final int STARTS = Integer.getInteger("updraft.itest.freshStarts", 30);
    /** Enough to tell a pattern from an accident; more failures would only make the run longer. */
    private static final int MAX_FAILURES = 3;

    @Test
    public void freshCopiesBootToTheEndWithoutRefreshingAndStop() throws Exception {
        List<String> failures = new ArrayList<>();
        long begin = System.nanoTime();
        long slowest = 0;
        for (int start = 1; start <= STARTS && failures.size() < MAX_FAILURES; start++) {
            long t0 = System.nanoTime();
            try (KarafProcess karaf = KarafProcess.unpack("fresh-start-" + start)) {
                try {
                    karaf.start();
                    List<String> log = karaf.karafLog();
                    List<String> stopped = DeploymentLog.stopped(log);
                    List<String> refreshed = DeploymentLog.refreshed(log);
                    if (!stopped.isEmpty() || !refreshed.isEmpty()) {
                        failures.add("start " + start + ": the first boot stopped " + stopped + " and refreshed "
                                + refreshed + " (karaf.log)");
                    }
                    karaf.terminate();
                } catch (IllegalStateException e) {
                    // KarafProcess's timeouts: the message names the thread dump, and a boot stall's first lines
                    // carry the boot threads' stacks, which is all a CI run keeps of the dump
                    String message = e.getMessage();
                    int log = message.indexOf("\nlast client output:");
                    failures.add("start " + start + ": " + (log > 0 ? message.substring(0, log)
                            : message.lines().findFirst().orElse("")));
                    System.out.println("[DistributionFreshStartIT] start " + start + " failed: " + message);
                }
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            slowest = Math.max(slowest, millis);
            System.out.println("[DistributionFreshStartIT] start " + start + " of " + STARTS + ": " + millis + " ms");
        }
        System.out.println("[DistributionFreshStartIT] " + STARTS + " fresh starts in "
                + (System.nanoTime() - begin) / 1_000_000 + " ms, slowest " + slowest + " ms");
        assertEquals("fresh starts that failed:\n" + String.join("\n", failures), List.of(), failures);
    }
}
