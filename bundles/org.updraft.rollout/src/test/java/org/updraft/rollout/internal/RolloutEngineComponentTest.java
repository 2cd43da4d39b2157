package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.testing.Configs;

/** The one engine of a node: shared by the services, configured without a restart, its threads its own. */
class RolloutEngineComponentTest {

    @TempDir
    Path dir;

    @Test
    void theRolloutAndUpdateServicesShareOneReplayAndTellListenersOncePerChange() throws Exception {
        try (Platform p = new Platform(dir)) {
            p.fleet("d", 4, "eu");
            Release release = p.publish(2);
            List<String> told = new ArrayList<>();
            p.engine.addListener(told::add);
            Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                    new WaveSelector.Percent(100), 100, 100, false, null, 0))), "alice");
            p.rollouts.start(r.id(), "alice");
            assertInstanceOf(UpdateAnswer.Offer.class, p.updates.check("d-00000", 1));
            p.rollouts.pause(r.id(), "alice", "a look");
            assertEquals("paused", ((UpdateAnswer.NoUpdate) p.updates.check("d-00001", 1)).reason());
            assertEquals(List.of(r.id(), r.id()), told, "start and pause, each told once");
            // one replay: what the engine followed is the whole ledger, once
            assertEquals(p.ledger.size(), p.engine.engine().book().followed());
            p.updates.bytesServed(release.id(), 512);
            assertEquals(512, p.rollouts.progress(r.id()).bytesServed());
        }
    }

    @Test
    void aNewMembersRefreshAppliesWithoutARestart() throws Exception {
        try (Platform p = new Platform(dir)) {
            p.fleet("a", 10, "eu");
            Release release = p.publish(2);
            Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                    new WaveSelector.Percent(100), 100, 100, false, null, 0))), "alice");
            p.rollouts.start(r.id(), "alice");
            assertEquals(10, p.rollouts.progress(r.id()).waves().get(0).members());
            p.fleet("b", 5, "eu");
            p.clock.advance(Duration.ofSeconds(30));
            assertEquals(10, p.rollouts.progress(r.id()).waves().get(0).members(), "read 30 s ago, refresh 60 s");
            p.engine.modified(Configs.of(RolloutEngineComponent.Config.class, Map.of("members.refresh.seconds", 10L)));
            assertEquals(15, p.rollouts.progress(r.id()).waves().get(0).members());
        }
    }

    @Test
    void itsSchedulerIsNamedAndStopsWithIt() throws Exception {
        RolloutEngineComponent engine;
        String thread;
        try (Platform p = new Platform(dir)) {
            engine = p.engine;
            thread = CompletableFuture.supplyAsync(() -> Thread.currentThread().getName(), engine.scheduler())
                    .get(10, TimeUnit.SECONDS);
        }
        assertTrue(thread.startsWith("updraft-rollout-"), thread);
        assertTrue(engine.scheduler().awaitTermination(10, TimeUnit.SECONDS), "the scheduler stopped");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(thread))) {
            assertTrue(System.nanoTime() < deadline, thread + " still runs");
            Thread.sleep(20);
        }
    }
}
