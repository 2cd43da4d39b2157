package org.updraft.benchmarks;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.manifest.ImageFacts;

/**
 * The client of the MQTT delivery row: many devices, each on its own connection to the broker as real devices are,
 * each downloading one image in block requests ({@code {prefix}/up/{id}/fw}, answers on {@code {prefix}/down/{id}/fw},
 * docs/mqtt-api.md) one after another, and checking its SHA-256 at the end. The clock runs from the first request
 * to the last block: connecting a thousand clients is not delivery. A request unanswered for a while is asked again
 * (counted as a retry); requests are idempotent.
 */
final class MqttBlockFetch {

    private static final long RETRY_MILLIS = 10_000;

    private MqttBlockFetch() {
    }

    static BlockFetch.Result run(String brokerUri, String prefix, String cid, byte[] expectedSha256, long imageSize,
            int devices, int blockLength, int maxPacket) throws Exception {
        CountDownLatch done = new CountDownLatch(devices);
        AtomicLong bytes = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        List<Device> fleet = new ArrayList<>();
        try {
            for (int i = 0; i < devices; i++) {
                Device d = new Device("bench-" + i, brokerUri, prefix, cid, expectedSha256, imageSize, blockLength,
                        maxPacket, timers, done, bytes, retries, failed, firstFailure);
                d.connect();
                fleet.add(d);
            }
            long start = System.nanoTime();
            fleet.forEach(Device::ask);
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException(done.getCount() + " of " + devices + " MQTT downloads did not end "
                        + "within 10 minutes");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new BlockFetch.Result(devices, bytes.get(), seconds, retries.get(), 0, failed.get(),
                    firstFailure.get());
        } finally {
            timers.shutdownNow();
            for (Device d : fleet) {
                d.close();
            }
        }
    }

    /** One device: asks for the next block when the last one arrived, from Paho's callback thread. */
    private static final class Device implements MqttCallback {
        private final String id;
        private final MqttAsyncClient client;
        private final String prefix;
        private final String cid;
        private final byte[] expectedSha256;
        private final long imageSize;
        private final int blockLength;
        private final int maxPacket;
        private final ScheduledExecutorService timers;
        private final CountDownLatch done;
        private final AtomicLong bytes;
        private final AtomicLong retries;
        private final AtomicInteger failed;
        private final AtomicReference<String> firstFailure;
        private final MessageDigest digest = ImageFacts.newDigest();
        private long offset;
        private int requestNumber;
        private ScheduledFuture<?> retry;
        private boolean finished;

        Device(String id, String brokerUri, String prefix, String cid, byte[] expectedSha256, long imageSize,
                int blockLength, int maxPacket, ScheduledExecutorService timers, CountDownLatch done, AtomicLong bytes,
                AtomicLong retries, AtomicInteger failed, AtomicReference<String> firstFailure) throws MqttException {
            this.id = id;
            this.client = new MqttAsyncClient(brokerUri, id, new MemoryPersistence());
            this.prefix = prefix;
            this.cid = cid;
            this.expectedSha256 = expectedSha256;
            this.imageSize = imageSize;
            this.blockLength = blockLength;
            this.maxPacket = maxPacket;
            this.timers = timers;
            this.done = done;
            this.bytes = bytes;
            this.retries = retries;
            this.failed = failed;
            this.firstFailure = firstFailure;
            client.setCallback(this);
        }

        void connect() throws MqttException {
            MqttConnectionOptions options = new MqttConnectionOptions();
            options.setCleanStart(true);
            options.setMaximumPacketSize((long) maxPacket);
            options.setAutomaticReconnect(false);
            client.connect(options).waitForCompletion(30_000);
            client.subscribe(prefix + "/down/" + id + "/fw", 1).waitForCompletion(30_000);
        }

        synchronized void ask() {
            if (finished) {
                return;
            }
            requestNumber++;
            byte[] request = Cbor.encode(Map.of("cid", cid, "offset", offset, "length", blockLength,
                    "max-packet", maxPacket));
            MqttMessage message = new MqttMessage(request);
            message.setQos(1);
            MqttProperties properties = new MqttProperties();
            properties.setCorrelationData(Integer.toString(requestNumber).getBytes());
            message.setProperties(properties);
            try {
                client.publish(prefix + "/up/" + id + "/fw", message);
            } catch (MqttException e) {
                fail("publishing a block request failed: " + e);
                return;
            }
            long asked = offset;
            retry = timers.schedule(() -> {
                synchronized (this) {
                    if (!finished && offset == asked) {
                        retries.incrementAndGet();
                        ask();
                    }
                }
            }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
        }

        @Override
        public synchronized void messageArrived(String topic, MqttMessage message) {
            if (finished) {
                return;
            }
            CborMap block;
            try {
                block = CborMap.decode("block", message.getPayload());
                if (!block.has("data")) {
                    fail("a block error: " + Cbor.decode(message.getPayload()));
                    return;
                }
                if (block.unsigned("offset") != offset || !cid.equals(block.text("cid"))) {
                    return; // an answer to a request asked again: its twin moved us on already
                }
                byte[] data = block.bytes("data");
                if (data.length == 0 || block.unsigned("size") != imageSize) {
                    fail("a block of " + data.length + " bytes for an image of " + block.unsigned("size"));
                    return;
                }
                digest.update(data);
                offset += data.length;
                bytes.addAndGet(data.length);
            } catch (CborException e) {
                fail("an undecodable block: " + e.getMessage());
                return;
            }
            if (retry != null) {
                retry.cancel(false);
            }
            if (offset < imageSize) {
                ask();
                return;
            }
            finished = true;
            if (!Arrays.equals(digest.digest(), expectedSha256)) {
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, id + ": the image does not hash to the expected SHA-256");
            }
            done.countDown();
        }

        private void fail(String why) {
            if (!finished) {
                finished = true;
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, id + ": " + why);
                done.countDown();
            }
        }

        void close() {
            try {
                if (client.isConnected()) {
                    client.disconnect().waitForCompletion(5_000);
                }
                client.close();
            } catch (MqttException e) {
                // the row is over; the broker drops the connection either way
            }
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
            synchronized (this) {
                fail("disconnected by the broker: " + response);
            }
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
