package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.update.TrustedCheckpoint;
import org.updraft.testing.Mosquitto;
import org.updraft.testing.platform.MqttDeviceApi;

/** Device agents over MQTT 5: a real mosquitto between them and the platform's real MQTT transport. */
class MqttLinkTest {

    private static final List<DeviceState> HAPPY = List.of(DeviceState.DOWNLOADING, DeviceState.DOWNLOADED,
            DeviceState.VERIFIED, DeviceState.INSTALLED);

    @TempDir
    Path dir;

    private Mosquitto broker;
    private OneReleaseUpdates platform;
    private MqttDeviceApi api;
    private MqttLink link;

    /** A broker, the platform as its client, and a link made by {@code linkSettings} from the broker's URI. */
    private void start(int imageSize, boolean autoRegister, Function<String, MqttLink.Builder> linkSettings)
            throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        platform = new OneReleaseUpdates(dir.resolve("platform"), imageSize, autoRegister);
        api = platform.serveMqtt(broker.uri(), autoRegister);
        link = linkSettings.apply(broker.uri()).open();
    }

    private SimulatedDevice device(String id) {
        Provisioning p = new Provisioning(id, SigningKey.generate(KeyAlgorithm.P256), OneReleaseUpdates.VENDOR,
                OneReleaseUpdates.CLASS, null, "eu-west", Set.of("beta"), platform.ledger.logKey(), platform.trust(),
                platform.statementKey());
        return new SimulatedDevice(p, new AbFlash("1.0.0", 1, new byte[] {1, 2, 3}), 0);
    }

    private SimulatedDevice registered(String id) {
        SimulatedDevice device = device(id);
        platform.register(device);
        return device;
    }

    @AfterEach
    void stop() throws Exception {
        if (link != null) {
            link.close();
        }
        if (platform != null) {
            platform.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aDeviceUpdatesOverMqtt() throws Exception {
        start(20_000, false, MqttLink::builder);
        SimulatedDevice device = registered("dev-1");
        DeviceAgent agent = DeviceAgent.builder(device, link).blockSize(1024).build();

        UpdateOutcome outcome = agent.update().get(30, TimeUnit.SECONDS);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(2, outcome.sequence());
        assertEquals(HAPPY, platform.statesReportedBy("dev-1"), "each step reported over MQTT, signed");
        assertEquals(20_000, agent.bytesDownloaded(), "every byte once: no block lost, none repeated");
        assertEquals(20, outcome.blockRequests(), "20 blocks of 1024 bytes (the last one shorter)");
    }

    @Test
    void consistencyProofsTravelOverMqttAndAForkedLogIsRefused() throws Exception {
        start(3_000, false, MqttLink::builder);
        // verified the log's first 4 events before: asks over MQTT how the log grew, and installs
        SimulatedDevice device = registered("dev-older");
        device.trustCheckpoint(new TrustedCheckpoint(4, platform.rootAt(4)));
        UpdateOutcome outcome = DeviceAgent.builder(device, link).build().update().get(30, TimeUnit.SECONDS);
        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(platform.ledger.size(), device.trustedCheckpoint().treeSize());

        // verified 4 events of another history: the proof the platform gives does not join them
        SimulatedDevice forked = registered("dev-forked");
        forked.trustCheckpoint(new TrustedCheckpoint(4, platform.rootAt(3).clone()));
        UpdateOutcome refused = DeviceAgent.builder(forked, link).build().update().get(30, TimeUnit.SECONDS);
        assertEquals(DeviceState.FAILED, refused.state(), refused.toString());
        assertEquals("log-fork", refused.reason());
        assertEquals(0, refused.bytesDownloaded());
        assertEquals(2, platform.consistencyRequests.get());
    }

    @Test
    void blocksAreCutToTheDevicesMaximumPacketSizeAndAnyOffsetIsServed() throws Exception {
        start(5_000, false, uri -> MqttLink.builder(uri).maxPacketSize(1024));
        String cid = platform.release.cid().toString();
        try (DeviceLink.Session session = link.open(registered("dev-5"))) {
            DeviceLink.Reply first = session.block(cid, 0, 1024).get(10, TimeUnit.SECONDS);
            // a 1024-byte block does not fit a 1024-byte packet with its framing: the platform cut it to fit, as the
            // broker would drop a larger packet without telling anyone
            assertTrue(first.isOk(), first.toString());
            assertEquals(0, first.offset());
            assertTrue(first.payload().length > 800 && first.payload().length < 1024, first.toString());
            assertTrue(first.more());
            assertArrayEquals(Arrays.copyOfRange(platform.image, 0, first.payload().length), first.payload());

            DeviceLink.Reply odd = session.block(cid, 4_321, 1024).get(10, TimeUnit.SECONDS);
            assertEquals(4_321, odd.offset(), "resumes at any offset, not only at block boundaries");
            assertArrayEquals(Arrays.copyOfRange(platform.image, 4_321, 5_000), odd.payload());
            assertFalse(odd.more(), "the image ends there");

            DeviceLink.Reply past = session.block(cid, 5_000, 1024).get(10, TimeUnit.SECONDS);
            assertEquals(DeviceLink.Status.REFUSED, past.status());
            assertTrue(past.diagnostic().startsWith("out-of-range"), past.diagnostic());
        }
    }

    @Test
    void anOfferOnTheRetainedOfferTopicWakesAWaitingDeviceWithoutAnotherCheck() throws Exception {
        start(5_000, false, MqttLink::builder);
        platform.held = true;
        SimulatedDevice device = registered("dev-2");
        // it would poll again only after a minute
        DeviceAgent agent = DeviceAgent.builder(device, link).pollInterval(Duration.ofSeconds(60)).build();
        CompletableFuture<UpdateOutcome> update = agent.update();
        long deadline = System.currentTimeMillis() + 10_000;
        while (agent.checks() < 1 || agent.state() != DeviceState.IDLE) {
            assertTrue(System.currentTimeMillis() < deadline, "the device never checked");
            Thread.sleep(20);
        }
        Thread.sleep(300);
        assertEquals(List.of(), platform.statesReportedBy("dev-2"), "nothing offered yet");

        platform.held = false;
        api.transport().answersChanged(OneReleaseUpdates.ROLLOUT);

        UpdateOutcome outcome = update.get(20, TimeUnit.SECONDS);
        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(1, agent.checks(), "the offer came on the offer topic, not as the answer to a second check");
    }

    @Test
    void aDownloadResumesWhereItStoppedWhenTheBrokerComesBack() throws Exception {
        start(200_000, false, uri -> MqttLink.builder(uri).requestTimeout(Duration.ofMillis(500))
                .retryDelay(Duration.ofMillis(200)));
        SimulatedDevice device = registered("dev-3");
        DeviceAgent agent = DeviceAgent.builder(device, link).blockSize(256).maxBlockFailures(200).build();
        CompletableFuture<UpdateOutcome> update = agent.update();
        long deadline = System.currentTimeMillis() + 20_000;
        while (agent.bytesDownloaded() < 20_000) {
            assertTrue(System.currentTimeMillis() < deadline, "the download never got going");
            Thread.sleep(5);
        }
        broker.stop();
        long before = agent.bytesDownloaded();
        Thread.sleep(2_000);
        assertTrue(agent.bytesDownloaded() - before < 1024, "nothing arrives while the broker is away");
        broker.start();

        UpdateOutcome outcome = update.get(60, TimeUnit.SECONDS);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertTrue(agent.bytesDownloaded() < 200_000 + 2 * 1024, "resumed at its offset, not from zero: "
                + agent.bytesDownloaded() + " bytes received");
        assertTrue(agent.blockRetries() > 0, "requests were lost while the broker was away");
        assertEquals(HAPPY, platform.statesReportedBy("dev-3"));
    }

    @Test
    void aDeviceEnrollsOverMqttThenUpdates() throws Exception {
        start(3_000, true, MqttLink::builder);
        SimulatedDevice device = device("dev-4");
        DeviceAgent agent = DeviceAgent.builder(device, link).build();

        agent.enroll().get(20, TimeUnit.SECONDS);
        UpdateOutcome outcome = agent.update().get(20, TimeUnit.SECONDS);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertEquals(HAPPY, platform.statesReportedBy("dev-4"));
    }

    @Test
    void aDeviceThePlatformDoesNotKnowIsToldSoAndStops() throws Exception {
        start(3_000, false, MqttLink::builder);
        DeviceAgent agent = DeviceAgent.builder(device("dev-stranger"), link).build();

        Exception e = assertThrows(Exception.class, () -> agent.update().get(20, TimeUnit.SECONDS));

        assertTrue(e.getCause() instanceof DeviceAgentException, e.toString());
        assertTrue(e.getCause().getMessage().contains("unknown-device"), e.getCause().getMessage());
    }

    @Test
    void aBrokerUriThatIsNotTcpHostPortIsRefusedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttLink.builder("localhost:1883"));
        assertTrue(e.getMessage().contains("tcp://host:port or ssl://host:port"), e.getMessage());
    }
}
