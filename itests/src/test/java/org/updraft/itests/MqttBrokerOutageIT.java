package org.updraft.itests;

import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.transport.TransportStatus;

/**
 * The broker dies mid-rollout (SIGKILL) and comes back on the same port a few seconds later: the platform's MQTT
 * transport says so in updraft:status and reconnects with backoff, the devices reconnect and resume, every device
 * finishes, and the ledger holds exactly one offer and one final report per device. 200 devices, so the class stays
 * within about three minutes on a loaded two-core machine.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MqttBrokerOutageIT extends MqttFleetTestBase {

    private static final int DEVICES = 200;

    @Test
    public void aBrokerKilledMidRolloutAndRestartedLosesNoDeviceAndDuplicatesNothingOnTheLedger() throws Exception {
        BrokerProcess broker = broker();
        TransportStatus mqtt = awaitConnected();
        Ledger ledger = waitForService(Ledger.class);
        long sizeBefore = ledger.size();
        AtomicLong restartedAt = new AtomicLong(Long.MAX_VALUE);
        CompletableFuture<String> outage = CompletableFuture.supplyAsync(() -> {
            try {
                // mid-rollout: a device's update is about five ledger events (its offer, four reports), so the
                // canaries are through and the regions are downloading
                await("a third of the fleet's ledger events", Duration.ofSeconds(90),
                        () -> sizeOf(ledger) - sizeBefore > DEVICES * 5 / 3);
                broker.kill();
                await("updraft:status telling of the outage", Duration.ofSeconds(15),
                        () -> mqtt.status().startsWith("disconnected from " + broker.uri()), mqtt::status);
                String during = mqtt.status();
                TimeUnit.SECONDS.sleep(4);
                broker.start();
                restartedAt.set(System.nanoTime());
                return during;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        String out = executeCommand("updraft:demo --devices " + DEVICES + " --transport mqtt --broker "
                + broker.uri() + " --loss 0 --offline 0 --boot-failures 0 --success 100 --quiet", Duration.ofMinutes(3));
        long endedAt = System.nanoTime();
        String during = outage.get(10, TimeUnit.SECONDS);
        assertTrue(during, during.contains("reconnecting"));
        assertTrue("the broker came back before the rollout ended", restartedAt.get() < endedAt);

        Rollout rollout = completedRollout(waitForService(RolloutService.class), out);
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        long connections = broker.log().lines().filter(l -> l.contains("New client connected")
                && l.contains(" as " + release.deviceClass() + "-")).count();
        assertTrue("the devices connected again after the outage: " + connections + " connections",
                connections > DEVICES);

        assertOneOfferAndOneInstalledReportPerDevice(rollout.id(), DEVICES);
        awaitConnected();
        String status = executeCommand("updraft:status");
        assertTrue(status, status.contains("transport mqtt: connected to " + broker.uri()));
    }

    private static long sizeOf(Ledger ledger) {
        try {
            return ledger.size();
        } catch (Exception e) {
            return 0;
        }
    }
}
