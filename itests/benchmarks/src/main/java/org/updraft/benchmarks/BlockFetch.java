package org.updraft.benchmarks;

import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.coap.MessageObserverAdapter;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;

/**
 * The one client of rows 4 and 5's reference: many devices, each downloading one image block by block (confirmable
 * GETs with an explicit Block2 option, one request in flight per device, as a constrained device does) through
 * Californium endpoints shared by groups of devices. Every device's bytes are checked against the image's SHA-256.
 */
final class BlockFetch {

    /** @param shed blocks the server answered 5.03 (load shed), asked for again after {@link ShedPause} */
    record Result(int devices, long bytes, double seconds, long retries, long shed, int failed, String firstFailure) {
        double bytesPerSecond() {
            return bytes / seconds;
        }
    }

    static final int DEVICES_PER_ENDPOINT = 50;

    private BlockFetch() {
    }

    static Result run(InetSocketAddress server, String path, byte[] expectedSha256, long imageSize, int devices,
            int blockSize) throws Exception {
        Configuration config = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS,
                SystemConfig.DEFINITIONS);
        config.set(CoapConfig.MAX_MESSAGE_SIZE, blockSize);
        config.set(CoapConfig.PREFERRED_BLOCK_SIZE, blockSize);
        config.set(CoapConfig.MAX_ACTIVE_PEERS, devices + 16);
        // no transparent block-wise in the client: each device asks for its blocks itself
        config.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, 0);
        config.set(CoapConfig.PROTOCOL_STAGE_THREAD_COUNT, 1);
        config.set(UdpConfig.UDP_RECEIVER_THREAD_COUNT, 1);
        config.set(UdpConfig.UDP_SENDER_THREAD_COUNT, 1);
        config.set(UdpConfig.UDP_RECEIVE_BUFFER_SIZE, 8 * 1024 * 1024);
        config.set(UdpConfig.UDP_SEND_BUFFER_SIZE, 8 * 1024 * 1024);
        int szx = BlockOption.size2Szx(blockSize);
        String uri = "coap://" + server.getHostString() + ":" + server.getPort() + "/" + path;
        // Devices have their own addresses; here groups of DEVICES_PER_ENDPOINT share a UDP port, so that no
        // endpoint runs out of message IDs towards the one server (65,536 per peer per exchange lifetime).
        List<CoapEndpoint> endpoints = new ArrayList<>();
        for (int e = 0; e < (devices + DEVICES_PER_ENDPOINT - 1) / DEVICES_PER_ENDPOINT; e++) {
            CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config)
                    .setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build();
            endpoint.start();
            endpoints.add(endpoint);
        }
        try {
            CountDownLatch done = new CountDownLatch(devices);
            AtomicLong bytes = new AtomicLong();
            AtomicLong retries = new AtomicLong();
            AtomicLong shed = new AtomicLong();
            int[] failed = {0};
            String[] firstFailure = {null};
            long start = System.nanoTime();
            for (int d = 0; d < devices; d++) {
                new Download(endpoints.get(d / DEVICES_PER_ENDPOINT), uri, szx, imageSize, expectedSha256, bytes, retries,
                        shed, done, failed, firstFailure).next();
            }
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("block-wise downloads from " + uri + " did not finish in 10 minutes");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(devices, bytes.get(), seconds, retries.get(), shed.get(), failed[0], firstFailure[0]);
        } finally {
            endpoints.forEach(CoapEndpoint::destroy);
        }
    }

    /** One device's download: asks for block n+1 when block n arrives. */
    private static final class Download {
        private final CoapEndpoint endpoint;
        private final String uri;
        private final int szx;
        private final long size;
        private final byte[] expected;
        private final AtomicLong bytes;
        private final AtomicLong retries;
        private final AtomicLong shed;
        private final CountDownLatch done;
        private final int[] failed;
        private final String[] firstFailure;
        private final MessageDigest sha256;
        private int num;
        private long received;
        private int attempts;
        private String lastProblem;

        Download(CoapEndpoint endpoint, String uri, int szx, long size, byte[] expected, AtomicLong bytes,
                AtomicLong retries, AtomicLong shed, CountDownLatch done, int[] failed, String[] firstFailure)
                throws Exception {
            this.endpoint = endpoint;
            this.uri = uri;
            this.szx = szx;
            this.size = size;
            this.expected = expected;
            this.bytes = bytes;
            this.retries = retries;
            this.shed = shed;
            this.done = done;
            this.failed = failed;
            this.firstFailure = firstFailure;
            this.sha256 = MessageDigest.getInstance("SHA-256");
        }

        void next() {
            Request get = Request.newGet();
            get.setType(Type.CON);
            get.setURI(uri);
            get.getOptions().setBlock2(szx, false, num);
            get.addMessageObserver(new MessageObserverAdapter() {
                @Override
                public void onResponse(Response response) {
                    received(response);
                }

                @Override
                public void onTimeout() {
                    retry();
                }

                @Override
                public void onSendError(Throwable error) {
                    lastProblem = "block " + num + ": send error " + error;
                    retry();
                }

                @Override
                public void onReject() {
                    lastProblem = "block " + num + ": rejected (RST)";
                    retry();
                }

                @Override
                public void onCancel() {
                    lastProblem = "block " + num + ": cancelled";
                    retry();
                }
            });
            endpoint.sendRequest(get);
        }

        private void received(Response response) {
            if (response.getCode() == ResponseCode.SERVICE_UNAVAILABLE) {
                shed.incrementAndGet();
                ShedPause.then(this::next);
                return;
            }
            if (response.getCode() != ResponseCode.CONTENT) {
                lastProblem = "block " + num + ": " + response.getCode() + " " + response.getPayloadString();
                retry();
                return;
            }
            byte[] payload = response.getPayload();
            sha256.update(payload);
            received += payload.length;
            bytes.addAndGet(payload.length);
            BlockOption block = response.getOptions().getBlock2();
            if (block != null && block.isM() && received < size) {
                num++;
                attempts = 0;
                next();
                return;
            }
            if (received != size || !Arrays.equals(sha256.digest(), expected)) {
                lastProblem = received != size ? "ended after " + received + " of " + size + " bytes at block " + num
                        + " (" + response.getOptions() + ")" : "SHA-256 differs";
                synchronized (failed) {
                    if (firstFailure[0] == null) {
                        firstFailure[0] = lastProblem;
                    }
                    failed[0]++;
                }
            }
            done.countDown();
        }

        private void retry() {
            retries.incrementAndGet();
            if (++attempts > 5) {
                synchronized (failed) {
                    if (firstFailure[0] == null) {
                        firstFailure[0] = lastProblem != null ? lastProblem : "block " + num + " timed out 6 times";
                    }
                    failed[0]++;
                }
                done.countDown();
                return;
            }
            next();
        }
    }
}
