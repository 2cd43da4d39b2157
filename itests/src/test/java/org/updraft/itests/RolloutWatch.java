package org.updraft.itests;

import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;

/**
 * Following a rollout that a shell command ({@code updraft:demo}) runs, for tests that act in its middle. Apart from
 * {@link UpdraftTestSupport} on purpose: a test class that uninstalls {@code updraft-core} must not load api classes,
 * and the support class is loaded by every test.
 */
final class RolloutWatch {

    private RolloutWatch() {
    }

    /** Waits until the newest rollout (one more than {@code before}) has served image bytes; returns it. */
    static Rollout awaitDownloads(RolloutService rollouts, int before, CompletableFuture<String> demo) {
        UpdraftTestSupport.await("the demo's devices to download", Duration.ofMinutes(2), () -> {
            if (demo.isDone()) {
                fail("the demo ended before the test could act: " + demo.join());
            }
            List<Rollout> all = rollouts.list();
            return all.size() > before && progress(rollouts, all.get(all.size() - 1)).bytesServed() > 0;
        });
        List<Rollout> all = rollouts.list();
        return all.get(all.size() - 1);
    }

    static RolloutProgress progress(RolloutService rollouts, Rollout rollout) {
        try {
            return rollouts.progress(rollout.id());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
