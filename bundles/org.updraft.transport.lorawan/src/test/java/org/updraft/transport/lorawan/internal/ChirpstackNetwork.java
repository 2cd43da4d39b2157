package org.updraft.transport.lorawan.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.updraft.core.json.JsonReader;
import org.updraft.transport.lorawan.internal.fuota.Direction;
import org.updraft.transport.lorawan.internal.fuota.FuotaCodecException;
import org.updraft.transport.lorawan.internal.fuota.FuotaCommand;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataFragment;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupReq;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.session.ScaledClock;
import org.updraft.transport.lorawan.internal.sim.SimulatedDevice;

/**
 * ChirpStack and its devices on the far side of a real mosquitto: every {@code command/down} goes to its simulated
 * device, every uplink the device sends comes back as an {@code event/up} JSON event, after the device's delay in
 * the shared scaled time. It reconnects after a broker outage, as ChirpStack does; an uplink due while the broker is
 * away is lost, as a frame would be. A device may be given a tampering radio: the last uncoded fragment it hears has
 * a byte flipped.
 */
final class ChirpstackNetwork implements AutoCloseable {

    private final String app;
    private final MqttClient client;
    private final Map<String, SimulatedDevice> devices;
    private final ScaledClock clock;
    private final ScheduledExecutorService radio = Executors.newSingleThreadScheduledExecutor();
    private final Set<String> tampered = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> nbFrag = new ConcurrentHashMap<>();
    final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    /** Subscriptions made again after a reconnect. */
    final AtomicInteger resubscribed = new AtomicInteger();
    final AtomicInteger downlinks = new AtomicInteger();
    final AtomicInteger uplinksLost = new AtomicInteger();
    private volatile Duration absentAfterReconnect = Duration.ZERO;

    ChirpstackNetwork(String uri, String app, Map<String, SimulatedDevice> devices, ScaledClock clock)
            throws MqttException {
        this.app = app;
        this.devices = devices;
        this.clock = clock;
        client = new MqttClient(uri, "chirpstack-sim", new MemoryPersistence());
        String subscription = "application/" + app + "/device/+/command/down";
        client.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                byte[] payload = message.getPayload();
                radio.execute(() -> downlink(topic, payload));
            }

            @Override
            public void connectComplete(boolean reconnect, String serverUri) {
                if (reconnect) {
                    // not on Paho's callback thread, which must not block on a subscription's acknowledgement
                    radio.schedule(() -> resubscribe(subscription, 0), absentAfterReconnect.toMillis(),
                            TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public void disconnected(MqttDisconnectResponse response) {
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setAutomaticReconnect(true);
        options.setAutomaticReconnectDelay(1, 2);
        client.connect(options);
        client.subscribe(subscription, 1);
    }

    /**
     * Subscribes again after a reconnect, as ChirpStack's integration does; while the broker is still settling (a
     * refusal, a connection lost again), tries again every 200 ms rather than stay deaf for the rest of the session.
     */
    private void resubscribe(String subscription, int attempt) {
        try {
            client.subscribe(subscription, 1);
            resubscribed.incrementAndGet();
        } catch (MqttException e) {
            if (attempt >= 50) {
                problems.add("resubscribe: " + e);
            } else if (!radio.isShutdown()) {
                radio.schedule(() -> resubscribe(subscription, attempt + 1), 200, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * After a reconnect, stays off the command topic this long, as ChirpStack restarting after the broker would: the
     * broker has nobody to pass downlinks to meanwhile.
     */
    void absentAfterReconnect(Duration d) {
        absentAfterReconnect = d;
    }

    /** The device's radio flips a byte of the last uncoded fragment it hears. */
    void tamper(String devEui) {
        tampered.add(devEui);
    }

    // the radio thread only touches the devices
    private void downlink(String topic, byte[] payload) {
        Map<String, Object> json = JsonReader.object(JsonReader.parse(payload), "downlink");
        String devEui = (String) json.get("devEui");
        SimulatedDevice device = devices.get(devEui);
        if (device == null || !topic.equals("application/" + app + "/device/" + devEui + "/command/down")) {
            problems.add("downlink for " + devEui + " on " + topic);
            return;
        }
        downlinks.incrementAndGet();
        int port = ((Number) json.get("fPort")).intValue();
        byte[] frame = Base64.getDecoder().decode((String) json.get("data"));
        if (port == Fragmentation.PORT && tampered.contains(devEui)) {
            frame = tampered(devEui, frame);
        }
        Instant at = clock.instant();
        for (SimulatedDevice.Sent s : device.receive(port, frame, false, 0, at)) {
            long delayNanos = (long) (Duration.between(at, s.at()).toNanos() / clock.speedup());
            radio.schedule(() -> publishUplink(device, s.fPort(), s.frame()), delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private byte[] tampered(String devEui, byte[] frame) {
        Fragmentation ts004 = Fragmentation.of(Ts004Version.V1_0_0);
        try {
            List<FuotaCommand> commands = ts004.decode(Direction.DOWNLINK, frame);
            if (commands.size() == 1 && commands.get(0) instanceof FragSessionSetupReq setup) {
                nbFrag.put(devEui, setup.nbFrag());
            } else if (commands.size() == 1 && commands.get(0) instanceof DataFragment f
                    && nbFrag.containsKey(devEui) && f.counter() == nbFrag.get(devEui)) {
                byte[] data = f.payload();
                data[0] ^= 0x01;
                return ts004.encode(new DataFragment(f.fragIndex(), f.counter(), data));
            }
        } catch (FuotaCodecException e) {
            problems.add("undecodable fragmentation downlink: " + e.getMessage());
        }
        return frame;
    }

    private void publishUplink(SimulatedDevice device, int fPort, byte[] frame) {
        String json = "{\"deviceInfo\":{\"applicationId\":\"" + app + "\",\"devEui\":\"" + device.devEui()
                + "\"},\"fCnt\":" + device.takeFCnt() + ",\"fPort\":" + fPort + ",\"data\":\""
                + Base64.getEncoder().encodeToString(frame) + "\"}";
        try {
            client.publish("application/" + app + "/device/" + device.devEui() + "/event/up",
                    json.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (MqttException e) {
            // the broker is away: the frame is lost, as on the air
            uplinksLost.incrementAndGet();
        }
    }

    @Override
    public void close() throws Exception {
        radio.shutdownNow();
        try {
            if (client.isConnected()) {
                client.disconnect();
            }
        } finally {
            client.close();
        }
    }
}
