package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;

/**
 * First offers and reports are appended outside the update service's engine lock (so that many devices share one
 * fsync); decisions must still hold when devices arrive all at once: the download cap, one offer per device, one
 * recorded report per report.
 */
class ConcurrentUpdatesTest {

    @TempDir
    Path dir;

    @Test
    void devicesCheckingAtOnceNeverExceedTheDownloadCapAndAreOfferedOnce() throws Exception {
        try (Platform p = new Platform(dir)) {
            List<String> ids = p.fleet("d", 40, "eu");
            Release release = p.publish(2);
            Rollout r = start(p, release, 5);
            List<Callable<UpdateAnswer>> checks = new ArrayList<>();
            for (String id : ids) {
                checks.add(() -> p.updates.check(id, 1));
                checks.add(() -> p.updates.check(id, 1)); // the same device twice at once
            }
            List<UpdateAnswer> answers = all(checks);
            List<String> offered = p.offeredOnLedger(r.id());
            assertEquals(5, offered.size(), offered.toString());
            assertEquals(5, new HashSet<>(offered).size(), "a device offered twice: " + offered);
            long offers = answers.stream().filter(a -> a instanceof UpdateAnswer.Offer).count();
            assertTrue(offers >= 5 && offers <= 10, offers + " offers");
            for (UpdateAnswer a : answers) {
                if (a instanceof UpdateAnswer.NoUpdate none) {
                    assertEquals("download-cap", none.reason());
                }
            }
            // the cap still counts what it counted: the sixth device waits
            assertInstanceOf(UpdateAnswer.NoUpdate.class, p.updates.check(firstNotIn(ids, offered), 1));
        }
    }

    @Test
    void reportsArrivingAtOnceAreEachRecordedOnceAndCompleteTheRollout() throws Exception {
        try (Platform p = new Platform(dir)) {
            List<String> ids = p.fleet("d", 30, "eu");
            Release release = p.publish(2);
            Rollout r = start(p, release, 0);
            for (String id : ids) {
                assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check(id, 1));
            }
            List<byte[]> downloading = new ArrayList<>();
            List<byte[]> installed = new ArrayList<>();
            for (String id : ids) { // signed here: the test's counters are not thread-safe
                downloading.add(p.report(id, r.id(), release.id(), DeviceState.DOWNLOADING, 1));
                installed.add(p.report(id, r.id(), release.id(), DeviceState.INSTALLED, 2));
            }
            List<Callable<ReportReceipt>> reports = new ArrayList<>();
            for (byte[] report : downloading) {
                reports.add(() -> p.updates.report(report));
                reports.add(() -> p.updates.report(report)); // a retransmission, at the same time
            }
            List<ReportReceipt> receipts = all(reports);
            assertEquals(ids.size(), receipts.stream().filter(ReportReceipt::duplicate).count());
            List<Callable<ReportReceipt>> finals = new ArrayList<>();
            for (byte[] report : installed) {
                finals.add(() -> p.updates.report(report));
            }
            all(finals);
            assertEquals(2L * ids.size(), p.count(EventTypes.DEVICE_REPORTED));
            assertEquals(RolloutState.COMPLETED, p.rollouts.find(r.id()).orElseThrow().state());
        }
    }

    private static Rollout start(Platform p, Release release, int cap) throws Exception {
        Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                new WaveSelector.Percent(100), 100, 100, true, null, cap))), "test");
        return p.rollouts.start(r.id(), "test");
    }

    /** Runs every call at once (as far as 16 threads go) and returns their results; any failure fails the test. */
    private static <T> List<T> all(List<Callable<T>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> call : calls) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String firstNotIn(List<String> ids, List<String> offered) {
        return ids.stream().filter(id -> !offered.contains(id)).findFirst().orElseThrow();
    }
}
