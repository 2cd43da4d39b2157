package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.testing.Mosquitto;

/** The tests' broker: its own mosquitto on a free loopback port, which stops and starts again on that port. */
class MosquittoTest {

    @TempDir
    Path dir;

    @Test
    void aBrokerOfItsOwnKeepsRetainedMessagesAndComesBackOnItsPort() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir)) {
            assertTrue(broker.isRunning());
            byte[] sent = "hello".getBytes(StandardCharsets.UTF_8);
            MqttClient publisher = new MqttClient(broker.uri(), "pub", new MemoryPersistence());
            publisher.connect();
            publisher.publish("t/retained", sent, 1, true);
            publisher.disconnect();
            publisher.close();

            BlockingQueue<byte[]> received = new ArrayBlockingQueue<>(1);
            MqttClient subscriber = new MqttClient(broker.uri(), "sub", new MemoryPersistence());
            subscriber.connect();
            subscriber.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[] {
                    new org.eclipse.paho.mqttv5.common.MqttSubscription("t/#", 1) },
                    new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {
                            (topic, message) -> received.add(message.getPayload()) });
            byte[] got = received.poll(5, TimeUnit.SECONDS);
            assertNotNull(got, "the retained message did not arrive; broker log:\n" + broker.log());
            assertArrayEquals(sent, got);
            subscriber.disconnect();
            subscriber.close();

            int port = broker.port();
            broker.stop();
            assertFalse(broker.isRunning());
            broker.start();
            MqttClient again = new MqttClient("tcp://127.0.0.1:" + port, "again", new MemoryPersistence());
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setConnectionTimeout(5);
            again.connect(options);
            assertTrue(again.isConnected());
            again.disconnect();
            again.close();
        }
    }
}
