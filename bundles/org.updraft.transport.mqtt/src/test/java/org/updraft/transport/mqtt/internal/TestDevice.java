package org.updraft.transport.mqtt.internal;

import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * A device as an MQTT 5 client (Paho): subscribed to everything below its own {@code down} topics, sending
 * requests on its {@code up} topics and waiting for the answer that carries its correlation data.
 */
final class TestDevice implements AutoCloseable {

    /** A message the device received. */
    record Received(String topic, MqttMessage message) {
    }

    /** Each client its own id: a second client with the same id would take the first one's connection over. */
    private static final AtomicInteger SESSIONS = new AtomicInteger();

    final String id;
    final String prefix;
    private final MqttClient client;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

    /**
     * @param maxPacket the Maximum Packet Size the device announces (the broker drops larger messages for it), or
     *        {@code null} for none
     */
    TestDevice(String brokerUri, String prefix, String id, Long maxPacket) throws MqttException {
        this(brokerUri, prefix, id, maxPacket, null);
    }

    /** @param password logs in as user {@code id} with it; {@code null} connects anonymously */
    TestDevice(String brokerUri, String prefix, String id, Long maxPacket, String password) throws MqttException {
        this.id = id;
        this.prefix = prefix;
        this.client = new MqttClient(brokerUri, "device-" + id + "-" + SESSIONS.incrementAndGet(),
                new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setConnectionTimeout(5);
        options.setSocketFactory(new NoDelaySockets());
        if (maxPacket != null) {
            options.setMaximumPacketSize(maxPacket);
        }
        if (password != null) {
            options.setUserName(id);
            options.setPassword(password.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        client.connect(options);
        IMqttMessageListener listener = (topic, message) -> received.add(new Received(topic, message));
        client.subscribe(new MqttSubscription[] {new MqttSubscription(prefix + "/down/" + id + "/#", 1)},
                new IMqttMessageListener[] {listener});
    }

    String up(String kind) {
        return prefix + "/up/" + id + "/" + kind;
    }

    String down(String level) {
        return prefix + "/down/" + id + "/" + level;
    }

    /** Publishes a request on {@code topic} with a Response Topic and correlation data (either may be null). */
    void send(String topic, byte[] payload, String responseTopic, byte[] correlation) throws MqttException {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(1);
        MqttProperties properties = new MqttProperties();
        if (responseTopic != null) {
            properties.setResponseTopic(responseTopic);
        }
        if (correlation != null) {
            properties.setCorrelationData(correlation);
        }
        message.setProperties(properties);
        for (int attempt = 1;; attempt++) {
            try {
                client.publish(topic, message);
                return;
            } catch (MqttException e) {
                // Paho counts the answers it is still acknowledging against its in-flight window: on a loaded
                // machine a burst of requests can find it full for a moment; a device would send again
                if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT || attempt == 50) {
                    throw e;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Sends a request of this device and waits for the answer on {@code answerTopic} with its correlation data. */
    MqttMessage request(String kind, byte[] payload, String answerTopic, byte[] correlation) throws Exception {
        send(up(kind), payload, kind.equals("fw") ? null : answerTopic, correlation);
        return awaitAnswer(answerTopic, correlation, 10_000);
    }

    /** The next message on {@code topic} with this correlation data; fails after {@code millis}. */
    MqttMessage awaitAnswer(String topic, byte[] correlation, long millis) throws InterruptedException {
        MqttMessage m = poll(topic, correlation, millis);
        if (m == null) {
            throw new AssertionError("device " + id + " got no answer on " + topic + " within " + millis + " ms");
        }
        return m;
    }

    /** The next message on {@code topic} with this correlation data (any when null), or null after {@code millis}. */
    MqttMessage poll(String topic, byte[] correlation, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            long left = deadline - System.currentTimeMillis();
            Received r = left <= 0 ? received.poll() : received.poll(left, TimeUnit.MILLISECONDS);
            if (r == null) {
                return null;
            }
            byte[] c = r.message().getProperties() == null ? null : r.message().getProperties().getCorrelationData();
            if (r.topic().equals(topic) && (correlation == null || Arrays.equals(correlation, c))) {
                return r.message();
            }
        }
    }

    @Override
    public void close() throws MqttException {
        if (client.isConnected()) {
            client.disconnect();
        }
        client.close();
    }
}
