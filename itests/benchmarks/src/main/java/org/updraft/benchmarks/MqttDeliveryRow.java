package org.updraft.benchmarks;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.updraft.api.store.StoredObject;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;
import org.updraft.testing.platform.MqttDeviceApi;

/**
 * Row 8: firmware delivery over MQTT through mosquitto, 128 KiB image, to many devices each on its own connection:
 * Updraft's MQTT transport (blocks read from the real local firmware store through its chunk cache, the platform
 * one client of the broker, request topics shared) against a bare Paho responder that answers the same block
 * requests from memory, on the same broker, fetched by the same client ({@link MqttBlockFetch}).
 */
final class MqttDeliveryRow {

    static final String PREFIX = "updraft";
    private static final int BLOCK = 4096;
    private static final int MAX_PACKET = 16 * 1024;

    private MqttDeliveryRow() {
    }

    static Row run(Path work, boolean quick) throws Exception {
        int devices = quick ? 50 : 1000;
        int imageSize = 128 * 1024;
        byte[] image = new byte[imageSize];
        new Random(128).nextBytes(image);
        byte[] sha = ImageFacts.newDigest().digest(image);
        Path dir = Files.createTempDirectory(work, "mqtt-delivery");
        Files.createDirectories(dir.resolve("broker"));

        BlockFetch.Result updraft;
        BlockFetch.Result reference;
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"))) {
            LocalFirmwareStore store = new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                    Map.of("directory", dir.resolve("store").toString(), "fsync", false)));
            String cid;
            try {
                StoredObject stored = store.put(new ByteArrayInputStream(image));
                cid = stored.cid().toString();
                OneRelease releases = new OneRelease(image, sha, stored);
                try (MqttDeviceApi server = MqttDeviceApi.serve(broker.uri(), releases, store, releases,
                        Map.of("topic.prefix", PREFIX))) {
                    MqttBlockFetch.run(broker.uri(), PREFIX, cid, sha, imageSize, Math.min(devices, 20), BLOCK,
                            MAX_PACKET); // warm-up
                    updraft = MqttBlockFetch.run(broker.uri(), PREFIX, cid, sha, imageSize, devices, BLOCK,
                            MAX_PACKET);
                }
            } finally {
                store.close();
            }
            try (Responder responder = new Responder(broker.uri(), cid, image)) {
                MqttBlockFetch.run(broker.uri(), PREFIX, cid, sha, imageSize, Math.min(devices, 20), BLOCK,
                        MAX_PACKET); // warm-up
                reference = MqttBlockFetch.run(broker.uri(), PREFIX, cid, sha, imageSize, devices, BLOCK, MAX_PACKET);
            }
        }
        if (updraft.failed() > 0 || reference.failed() > 0) {
            throw new IllegalStateException("row 8: downloads failed or arrived wrong: Updraft " + updraft.failed()
                    + ", bare Paho " + reference.failed() + " of " + devices + "; first: Updraft "
                    + updraft.firstFailure() + ", bare Paho " + reference.firstFailure());
        }
        return new Row("8", "MQTT delivery through mosquitto, " + devices + " devices, 128 KiB image, "
                + BLOCK + "-byte blocks", updraft.bytesPerSecond() / 1e6, "MB/s",
                "bare Paho responder from memory, same broker, same client", reference.bytesPerSecond() / 1e6, "MB/s",
                0.8, "≥ 0.8", false, String.format(Locale.ROOT, "one request and one answer per block through the "
                        + "broker, everything on the same 2 cores (%.1f s vs %.1f s; re-asked %d vs %d)",
                        updraft.seconds(), reference.seconds(), updraft.retries(), reference.retries()));
    }

    /**
     * The reference: one Paho client sharing the request topics as the platform does, answering each block request
     * with the bytes from memory, in the documented block format, and nothing else: no store, no release lookup, no
     * limits but the one block length asked.
     */
    static final class Responder implements MqttCallback, AutoCloseable {
        private final MqttAsyncClient client;
        private final String cid;
        private final byte[] image;
        private final ExecutorService answering = Executors.newSingleThreadExecutor();

        Responder(String brokerUri, String cid, byte[] image) throws MqttException {
            this.cid = cid;
            this.image = image;
            this.client = new MqttAsyncClient(brokerUri, "bench-reference", new MemoryPersistence());
            client.setCallback(this);
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setCleanStart(true);
            client.connect(options).waitForCompletion(30_000);
            client.subscribe("$share/reference/" + PREFIX + "/up/+/fw", 1).waitForCompletion(30_000);
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            // answered on a thread of its own: Paho completes QoS 1 deliveries, which free the broker's in-flight
            // window, on the callback thread, so a callback waiting for that window would wait for ever
            answering.execute(() -> answer(topic, message));
        }

        private void answer(String topic, MqttMessage message) {
            String device = topic.split("/")[2];
            try {
                CborMap request = CborMap.decode("block-request", message.getPayload());
                int offset = (int) request.unsigned("offset");
                int end = (int) Math.min(image.length, offset + request.unsigned("length"));
                if (!cid.equals(request.text("cid")) || offset >= image.length) {
                    return;
                }
                Map<Object, Object> block = new TreeMap<>();
                block.put("cid", cid);
                block.put("offset", (long) offset);
                block.put("size", (long) image.length);
                block.put("data", Arrays.copyOfRange(image, offset, end));
                MqttMessage answer = new MqttMessage(Cbor.encode(block));
                answer.setQos(1);
                MqttProperties properties = new MqttProperties();
                properties.setCorrelationData(message.getProperties().getCorrelationData());
                answer.setProperties(properties);
                publish(PREFIX + "/down/" + device + "/fw", answer);
            } catch (CborException e) {
                // the client sends well-formed requests only
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** As any QoS 1 publisher must: while the broker's in-flight window is full, wait for it. */
        private void publish(String topic, MqttMessage answer) throws InterruptedException {
            while (true) {
                try {
                    client.publish(topic, answer);
                    return;
                } catch (MqttException e) {
                    if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT) {
                        return; // the device asks again
                    }
                    Thread.sleep(1);
                }
            }
        }

        @Override
        public void close() throws MqttException {
            answering.shutdownNow();
            client.disconnect().waitForCompletion(5_000);
            client.close();
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
        public void connectComplete(boolean reconnect, String serverURI) {
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
        }
    }
}
