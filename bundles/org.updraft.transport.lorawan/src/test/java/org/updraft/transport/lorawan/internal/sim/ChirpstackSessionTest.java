package org.updraft.transport.lorawan.internal.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.json.JsonReader;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.testing.Mosquitto;
import org.updraft.transport.lorawan.internal.chirpstack.ChirpstackBridge;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.radio.Region;
import org.updraft.transport.lorawan.internal.session.DeviceResult;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.Participant;
import org.updraft.transport.lorawan.internal.session.ScaledClock;
import org.updraft.transport.lorawan.internal.session.SessionPlan;
import org.updraft.transport.lorawan.internal.session.SessionRunner;
import org.updraft.transport.lorawan.internal.session.Transmission;

/**
 * A unicast FUOTA session through ChirpStack's MQTT integration on a real mosquitto: the platform's side is the
 * bridge and the runner; the other side plays ChirpStack and its devices, taking {@code command/down} messages to
 * simulated devices and publishing their answers as {@code event/up} JSON. Time runs 50 times faster than real.
 */
class ChirpstackSessionTest {

    private static final String APP = "fuota-app";
    // fast enough to finish in seconds, slow enough that a 30 s answer timeout is 0.6 s of a loaded machine's time
    private static final double SPEEDUP = 50;

    @TempDir
    Path dir;

    private Mosquitto broker;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** ChirpStack with its devices: every command/down goes to its device, every answer comes back as event/up. */
    private static final class NetworkServer implements AutoCloseable {
        final MqttClient client;
        final Map<String, SimulatedDevice> devices;
        final ScaledClock clock;
        final ScheduledExecutorService radio = Executors.newSingleThreadScheduledExecutor();
        final List<String> problems = new ArrayList<>();

        NetworkServer(String uri, Map<String, SimulatedDevice> devices, ScaledClock clock) throws MqttException {
            this.devices = devices;
            this.clock = clock;
            client = new MqttClient(uri, "chirpstack-sim", new MemoryPersistence());
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setCleanStart(true);
            client.setCallback(new MqttCallbackAdapter() {
                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    byte[] payload = message.getPayload();
                    radio.execute(() -> downlink(topic, payload));
                }
            });
            client.connect(options);
            client.subscribe("application/" + APP + "/device/+/command/down", 1);
        }

        // runs on the radio thread: every device is touched by that thread only
        private void downlink(String topic, byte[] payload) {
            Map<String, Object> json = JsonReader.object(JsonReader.parse(payload), "downlink");
            String devEui = (String) json.get("devEui");
            SimulatedDevice device = devices.get(devEui);
            if (device == null || !topic.equals("application/" + APP + "/device/" + devEui + "/command/down")) {
                problems.add("downlink for " + devEui + " on " + topic);
                return;
            }
            int port = ((Number) json.get("fPort")).intValue();
            byte[] frame = Base64.getDecoder().decode((String) json.get("data"));
            Instant at = clock.instant();
            for (SimulatedDevice.Sent s : device.receive(port, frame, false, 0, at)) {
                long delayNanos = (long) (Duration.between(at, s.at()).toNanos() / SPEEDUP);
                radio.schedule(() -> publishUplink(device, s.fPort(), s.frame()), delayNanos, TimeUnit.NANOSECONDS);
            }
        }

        void publishUplink(SimulatedDevice device, int fPort, byte[] frame) {
            String json = "{\"deviceInfo\":{\"applicationId\":\"" + APP + "\",\"devEui\":\"" + device.devEui()
                    + "\"},\"fCnt\":" + device.takeFCnt() + ",\"fPort\":" + fPort + ",\"data\":\""
                    + Base64.getEncoder().encodeToString(frame) + "\"}";
            publishRaw("application/" + APP + "/device/" + device.devEui() + "/event/up", json);
        }

        void publishRaw(String topic, String json) {
            try {
                client.publish(topic, json.getBytes(StandardCharsets.UTF_8), 1, false);
            } catch (MqttException e) {
                problems.add("publish: " + e);
            }
        }

        @Override
        public void close() throws Exception {
            radio.shutdownNow();
            client.disconnect();
            client.close();
        }
    }

    @Test
    void aUnicastSessionThroughMosquittoRebuildsTheImageOnEveryDevice() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        Random random = new Random(2026_12_07L);
        byte[] image = new byte[2000];
        random.nextBytes(image);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(image);
        ScaledClock clock = new ScaledClock(Instant.parse("2026-12-07T00:00:00Z"), SPEEDUP);
        Map<String, SimulatedDevice> devices = new LinkedHashMap<>();
        List<Participant> participants = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String devEui = String.format("70b3d57ed0%06x", i);
            devices.put(devEui, new SimulatedDevice(devEui, digest, Duration.ZERO, 1 << 16, random));
            participants.add(new Participant(devEui, null));
        }
        List<String> reports = new ArrayList<>();
        CountedRefusals refusals = new CountedRefusals(Duration.ZERO, System::nanoTime,
                (kind, since, total, detail) -> {
                    synchronized (reports) {
                        reports.add(kind + ": " + detail);
                    }
                });
        SessionPlan plan = SessionPlan.unicast(Region.EU868, 5, 869_525_000L).withMaxAttempts(6);
        FuotaSession session = new FuotaSession(plan, image, participants,
                new DutyCycleBudget(Region.EU868, 0.01, Map.of("g3", 0.1)), refusals);

        NetworkServer chirpstack = new NetworkServer(broker.uri(), devices, clock);
        open.add(chirpstack);
        SessionRunner[] runner = new SessionRunner[1];
        ChirpstackBridge bridge = new ChirpstackBridge(broker.uri(), "updraft-fuota", APP,
                uplink -> runner[0].uplink(uplink), refusals);
        open.add(0, bridge);
        runner[0] = new SessionRunner(session, clock, bridge::send);
        // what ChirpStack would never pass on, and a device's frame on a port no FUOTA package uses
        chirpstack.publishRaw("application/" + APP + "/device/70b3d57ed0000000/event/up", "{not json");
        chirpstack.publishRaw("application/" + APP + "/device/70b3d57ed0000001/event/up",
                "{\"deviceInfo\":{\"devEui\":\"70b3d57ed0000002\"},\"fCnt\":1,\"fPort\":201,\"data\":\"AQ==\"}");

        long startNanos = System.nanoTime();
        boolean finished = runner[0].run(Duration.ofHours(2));
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        FuotaSession.Report r = session.report();
        System.out.printf("unicast over mosquitto: %d devices, M=%d fragments of %d bytes, fragments sent %d (%d coded),"
                + " %d repair rounds, %d downlinks, airtime %.3f s; session %s of simulated time in %.1f s; refused %s%n",
                devices.size(), r.nbFrag(), r.fragSize(), r.fragmentsSent(), r.codedSent(), r.repairRounds(),
                r.downlinks(), r.airtimeMicros() / 1e6, Duration.between(r.started(), r.finished()), seconds,
                r.refused());

        assertTrue(finished, "the session finishes: " + session.results());
        assertEquals(List.of(), chirpstack.problems);
        for (DeviceResult result : session.results()) {
            assertEquals(DeviceResult.State.DONE, result.state(), result.toString());
            SimulatedDevice device = devices.get(result.devEui());
            assertTrue(device.verified(), result.devEui());
            assertArrayEquals(image, device.block());
        }
        // ceil(2000 / 219) = 10 fragments, each device its own copy
        assertEquals(10, r.nbFrag());
        assertTrue(r.fragmentsSent() >= 3 * 10, r.toString());
        assertEquals(2L, r.refused().get("bad-event"), "bad JSON, and an event about another device than its topic");
    }

    @Test
    void theBridgeRefusesMulticastFrames() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        ChirpstackBridge bridge = new ChirpstackBridge(broker.uri(), "updraft-fuota", APP, u -> { },
                new CountedRefusals(Duration.ZERO, System::nanoTime, (k, s, t, d) -> { }));
        open.add(bridge);
        Transmission multicast = new Transmission(null, 1, 201, new byte[] {1}, Instant.EPOCH, 869_525_000L,
                Region.EU868.dataRate(5), 1000, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bridge.send(multicast));
        assertTrue(e.getMessage().contains("multicast-group API"), e.getMessage());
    }
}
