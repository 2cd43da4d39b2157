package org.updraft.benchmarks;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MessageObserverAdapter;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;

/**
 * Row 3's one client: many devices, each asking {@code GET /check/{id}?seq=1} again as soon as its last answer
 * came (one request in flight per device, confirmable, no ETag so every answer carries the whole offer), for a
 * fixed time. Every answer must be 2.05 with the expected answer's ETag and size, or the run fails: the platform signs
 * a statement into each answer (device id, time), so its bytes differ from device to device, while its ETag names the
 * answer without the statement. Over DTLS (row 3d), each
 * device checks through its own session ({@link DtlsDevices}).
 */
final class CheckLoad {

    /** The answer every device must get: its bytes (the reference serves these), and its ETag. */
    record Expected(byte[] payload, byte[] etag) {

        static Expected of(Response response) {
            List<byte[]> tags = response.getOptions().getETags();
            if (tags.isEmpty()) {
                throw new IllegalStateException("the platform's answer carries no ETag");
            }
            return new Expected(response.getPayload(), tags.get(0));
        }

        /** Null when {@code response} is the expected answer, else what differs. */
        String mismatch(Response response) {
            if (response.getCode() != ResponseCode.CONTENT) {
                return response.getCode() + " " + response.getPayloadString();
            }
            List<byte[]> tags = response.getOptions().getETags();
            if (tags.isEmpty() || !Arrays.equals(tags.get(0), etag) || response.getPayloadSize() != payload.length) {
                return "2.05 with " + response.getPayloadSize() + " bytes and ETag "
                        + (tags.isEmpty() ? "none" : HexFormat.of().formatHex(tags.get(0))) + ", not the expected "
                        + payload.length + " bytes and ETag " + HexFormat.of().formatHex(etag);
            }
            return null;
        }
    }

    /**
     * @param shed requests the server answered 5.03 (load shed): not a failure, see {@link ShedPause}
     */
    record Result(long answers, double seconds, long retries, long shed, String firstFailure) {
        double perSecond() {
            return answers / seconds;
        }
    }

    private CheckLoad() {
    }

    static Result run(InetSocketAddress server, List<String> deviceIds, Expected expected, double seconds)
            throws Exception {
        Configuration config = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS,
                SystemConfig.DEFINITIONS);
        config.set(CoapConfig.MAX_ACTIVE_PEERS, deviceIds.size() + 16);
        config.set(CoapConfig.PROTOCOL_STAGE_THREAD_COUNT, 1);
        config.set(UdpConfig.UDP_RECEIVER_THREAD_COUNT, 1);
        config.set(UdpConfig.UDP_SENDER_THREAD_COUNT, 1);
        config.set(UdpConfig.UDP_RECEIVE_BUFFER_SIZE, 8 * 1024 * 1024);
        config.set(UdpConfig.UDP_SEND_BUFFER_SIZE, 8 * 1024 * 1024);
        String base = "coap://" + server.getHostString() + ":" + server.getPort() + "/check/";
        List<CoapEndpoint> endpoints = new ArrayList<>();
        int perEndpoint = BlockFetch.DEVICES_PER_ENDPOINT; // message IDs per peer, as in row 4
        for (int e = 0; e < (deviceIds.size() + perEndpoint - 1) / perEndpoint; e++) {
            CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config)
                    .setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build();
            endpoint.start();
            endpoints.add(endpoint);
        }
        try {
            return poll(base, deviceIds, d -> endpoints.get(d / perEndpoint), expected, seconds);
        } finally {
            endpoints.forEach(CoapEndpoint::destroy);
        }
    }

    /** The same over DTLS: device {@code i} of {@code deviceIds} checks through its own session in {@code devices}. */
    static Result run(DtlsDevices devices, List<String> deviceIds, Expected expected, double seconds) throws Exception {
        String base = "coaps://" + devices.server.getHostString() + ":" + devices.server.getPort() + "/check/";
        return poll(base, deviceIds, devices::endpoint, expected, seconds);
    }

    private static Result poll(String base, List<String> deviceIds, IntFunction<CoapEndpoint> endpointOf,
            Expected expected, double seconds) throws InterruptedException {
        AtomicLong answers = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        AtomicLong shed = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(deviceIds.size());
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        for (int d = 0; d < deviceIds.size(); d++) {
            new Poller(endpointOf.apply(d), base + deviceIds.get(d), expected, end, answers, retries, shed, failure,
                    stopped).next();
        }
        if (!stopped.await((long) seconds + 120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("update checks against " + base + " did not stop");
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        return new Result(answers.get(), elapsed, retries.get(), shed.get(), failure.get());
    }

    /** One device checking again and again until the end time. */
    private record Poller(CoapEndpoint endpoint, String uri, Expected expected, long end, AtomicLong answers,
            AtomicLong retries, AtomicLong shed, AtomicReference<String> failure, CountDownLatch stopped) {

        void next() {
            if (System.nanoTime() >= end || failure.get() != null) {
                stopped.countDown();
                return;
            }
            Request get = Request.newGet();
            get.setType(Type.CON);
            get.setURI(uri + "?seq=1");
            get.addMessageObserver(new MessageObserverAdapter() {
                @Override
                public void onResponse(Response response) {
                    if (response.getCode() == ResponseCode.SERVICE_UNAVAILABLE) {
                        shed.incrementAndGet();
                        ShedPause.then(Poller.this::next);
                        return;
                    }
                    String mismatch = expected.mismatch(response);
                    if (mismatch != null) {
                        failure.compareAndSet(null, uri + ": " + mismatch);
                    } else {
                        answers.incrementAndGet();
                    }
                    next();
                }

                @Override
                public void onTimeout() {
                    retries.incrementAndGet();
                    next();
                }

                @Override
                public void onSendError(Throwable error) {
                    failure.compareAndSet(null, uri + ": send error " + error);
                    next();
                }

                @Override
                public void onReject() {
                    failure.compareAndSet(null, uri + ": rejected (RST)");
                    next();
                }
            });
            endpoint.sendRequest(get);
        }
    }
}
