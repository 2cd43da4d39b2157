package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * A flood of requests, far more than the server can serve, from several sockets at once: the datagrams waiting stay
 * under the configured bound (the rest are dropped unread, counted), requests beyond the lower bound get 5.03 with a
 * jittered Max-Age instead of work, a device among the flood is answered, nothing is logged per datagram, and the
 * server serves as before once the flood is over. Judged by what a device and an operator see: answers on the wire
 * and the transport's status line.
 */
class OverloadTest {

    private static final int SHED_ABOVE = 16;
    private static final int DROP_ABOVE = 64;
    private static final int MAX_AGE = 30;
    private static final int FLOOD_PER_SECOND = 10_000;
    private static final Pattern MOST_WAITING = Pattern.compile("most datagrams waiting at once (\\d+)");

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private OneRolloutUpdates updates;
    private CoapTransport transport;
    private CoapEndpoint endpoint;
    private CoapClient device;

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        byte[] image = SeededContent.bytes(9, 5000);
        Cid cid = store.put(new ByteArrayInputStream(image)).cid();
        PublishedRelease published = new PublishedRelease(image, cid, 7);
        updates = new OneRolloutUpdates(published);
        updates.register("dev-1", SigningKey.generate(KeyAlgorithm.ED25519).did());
        updates.running = true;
        endpoint = TestServer.clientEndpoint(true, 4);
        device = new CoapClient();
        device.setEndpoint(endpoint);
        device.setTimeout(120_000L);
    }

    private void serve(Map<String, Object> config) {
        transport = new CoapTransport(TestServer.config(config), updates);
        transport.bindStore(store);
    }

    @AfterEach
    void stop() {
        device.shutdown();
        endpoint.destroy();
        if (transport != null) {
            transport.close();
        }
        store.close();
    }

    @Test
    void aFloodIsShedAndDroppedWithinItsBoundsAndADeviceAmongItIsAnsweredThenServed() throws Exception {
        // one protocol thread and checks of 5 ms: 200 checks a second is all this server can do
        serve(Map.of("threads", 1, "overload_shed_above", SHED_ABOVE, "overload_drop_above", DROP_ABOVE,
                "overload_max_age", MAX_AGE));
        updates.checkMillis = 5;
        InetSocketAddress server = transport.address();

        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        long floodStart = System.nanoTime();
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong sent = new AtomicLong();
        List<Thread> flooders = new ArrayList<>();
        List<DatagramSocket> sockets = new ArrayList<>();
        List<Response> during = new ArrayList<>();
        int lost = 0;
        try {
            for (int t = 0; t < 2; t++) {
                DatagramSocket a = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                DatagramSocket b = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                sockets.add(a);
                sockets.add(b);
                int seed = t;
                Thread flooder = new Thread(() -> flood(List.of(a, b), server, seed, flooding, sent), "flood-" + t);
                flooders.add(flooder);
                flooder.start();
            }
            // the flood is well under way: far more datagrams sent than the server could have served
            while (sent.get() < 20_000) {
                Thread.sleep(10);
            }
            // a device among the flood asks until it is answered 5.03. Its datagrams are dropped unread as blindly as
            // the flood's while the queue is full: it retransmits (4 times, RFC 7252's default), and asks again
            // should every transmission of a request be lost, as a device would
            long deadline = System.nanoTime() + 90_000_000_000L;
            while (System.nanoTime() < deadline) {
                CoapResponse answer = device.advanced(Request.newGet().setURI(uri("/check/dev-1?seq=3")));
                if (answer == null) {
                    lost++;
                    continue;
                }
                during.add(answer.advanced());
                if (answer.getCode() == ResponseCode.SERVICE_UNAVAILABLE) {
                    break;
                }
            }
        } finally {
            flooding.set(false);
            for (Thread flooder : flooders) {
                flooder.join(10_000);
            }
            sockets.forEach(DatagramSocket::close);
            System.setErr(stderr);
        }
        long floodMinutes = (System.nanoTime() - floodStart) / 60_000_000_000L;
        assertFalse(during.isEmpty(), "the device got no answer during the flood in " + lost + " requests");
        Response shed = during.get(during.size() - 1);
        assertEquals(ResponseCode.SERVICE_UNAVAILABLE, shed.getCode(), "answers during the flood: " + codes(during));
        Long maxAge = shed.getOptions().getMaxAge();
        assertTrue(maxAge >= MAX_AGE && maxAge <= MAX_AGE * 3 / 2, "Max-Age " + maxAge + ", jittered from " + MAX_AGE);
        assertEquals(0, shed.getPayloadSize(), "a 5.03 under load is no larger than the request it answers");

        String status = transport.status();
        System.out.println("the device's answers during the flood: " + codes(during) + " (" + lost
                + " requests lost with all their retransmissions); " + sent.get()
                + " datagrams sent; " + updates.checks.get() + " checks served; " + status);
        Matcher most = MOST_WAITING.matcher(status);
        assertTrue(most.find(), status);
        int mostWaiting = Integer.parseInt(most.group(1));
        assertTrue(mostWaiting <= DROP_ABOVE, "at most " + DROP_ABOVE + " datagrams waited at once: " + status);
        assertTrue(mostWaiting > SHED_ABOVE, "the flood filled the queue past the 5.03 bound: " + status);
        assertTrue(count(status, "overload-dropped") > 0, "datagrams beyond the bound were dropped: " + status);
        assertTrue(count(status, "overload-shed") > 0, "requests beyond the lower bound were shed: " + status);
        assertTrue(updates.checks.get() < sent.get() / 10, updates.checks.get() + " checks for " + sent.get()
                + " datagrams: the flood was not served");

        String lines = log.toString(StandardCharsets.UTF_8);
        List<String> logged = lines.lines().toList();
        // one line a minute per kind: a flood that lasted into a second minute (a slow machine: the device's requests
        // are dropped with the flood's for longer) may log each kind twice
        assertTrue(logged.size() <= 2 * (1 + floodMinutes), "at most one line a minute per kind (dropped, shed), none"
                + " per datagram, in " + (1 + floodMinutes) + " minute(s):\n" + lines);
        assertFalse(lines.contains("Exception"), "no stack trace:\n" + lines);

        // after the flood: the same device is served its offer once the queue has drained (it would wait Max-Age)
        Response served = null;
        long drained = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < drained) {
            served = TestServer.send(device, Request.newGet().setURI(uri("/check/dev-1?seq=3")));
            if (served.getCode() != ResponseCode.SERVICE_UNAVAILABLE) {
                break;
            }
            Thread.sleep(50);
        }
        assertEquals(ResponseCode.CONTENT, served.getCode(), served.getPayloadString());
        assertInstanceOf(DeviceAnswer.Offer.class, UpdateAnswers.decode(served.getPayload()));
    }

    @Test
    void aPeerOverItsLimitGets503UntilTheNextSecond() throws Exception {
        serve(Map.of("peer_requests_per_second", 5, "overload_max_age", MAX_AGE));
        List<ResponseCode> codes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            codes.add(TestServer.send(device, Request.newGet().setURI(uri("/check/dev-1?seq=3"))).getCode());
        }
        long limited = codes.stream().filter(c -> c == ResponseCode.SERVICE_UNAVAILABLE).count();
        // 20 requests within a second or two: at most 5 in each second are served
        assertTrue(limited >= 10, codes.toString());
        assertTrue(codes.contains(ResponseCode.CONTENT), codes.toString());
        assertEquals(limited, count(transport.status(), "peer-rate-limited"), transport.status());

        // the next second's budget
        Thread.sleep(1100);
        assertEquals(ResponseCode.CONTENT,
                TestServer.send(device, Request.newGet().setURI(uri("/check/dev-1?seq=3"))).getCode());
    }

    @Test
    void withoutALimitPerPeerAFleetFromOneAddressIsServed() throws Exception {
        serve(Map.of());
        for (int i = 0; i < 50; i++) {
            assertEquals(ResponseCode.CONTENT,
                    TestServer.send(device, Request.newGet().setURI(uri("/check/dev-1?seq=3"))).getCode());
        }
        assertFalse(transport.status().contains("under load"), transport.status());
    }

    /**
     * CON GET /check/dev-1?seq=1 with fresh message ids and tokens, about {@value #FLOOD_PER_SECOND} a second per
     * thread: a hundred times what the server can serve, yet few enough that its socket's receive buffer does not
     * overflow, where the kernel would drop the device's datagrams as blindly as the flood's (that lottery is not
     * what the test is about).
     */
    private static void flood(List<DatagramSocket> sockets, InetSocketAddress server, int seed, AtomicBoolean flooding,
            AtomicLong sent) {
        byte[] path = "dev-1".getBytes(StandardCharsets.US_ASCII);
        int mid = seed << 14;
        int burst = FLOOD_PER_SECOND / 500;
        try {
            while (flooding.get()) {
                for (int i = 0; i < burst; i++) {
                    DatagramSocket socket = sockets.get(i % sockets.size());
                    mid = (mid + 1) & 0xFFFF;
                    ByteArrayOutputStream d = new ByteArrayOutputStream();
                    d.write(0x42); // version 1, CON, token of 2 bytes
                    d.write(0x01); // GET
                    d.write(mid >> 8);
                    d.write(mid);
                    d.write(mid >> 8);
                    d.write(mid);
                    d.write(0xB5); // Uri-Path (11), 5 bytes
                    d.writeBytes("check".getBytes(StandardCharsets.US_ASCII));
                    d.write(0x05);
                    d.writeBytes(path);
                    d.write(0x45); // Uri-Query (15), 5 bytes
                    d.writeBytes("seq=1".getBytes(StandardCharsets.US_ASCII));
                    byte[] bytes = d.toByteArray();
                    socket.send(new DatagramPacket(bytes, bytes.length, server));
                    sent.incrementAndGet();
                }
                LockSupport.parkNanos(2_000_000L);
            }
        } catch (java.io.IOException e) {
            if (flooding.get()) {
                throw new IllegalStateException("the flood stopped: " + e, e);
            }
        }
    }

    private static long count(String status, String kind) {
        Matcher m = Pattern.compile(Pattern.quote(kind) + " (\\d+)").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static List<String> codes(List<Response> responses) {
        return responses.stream().map(r -> r.getCode().toString()).toList();
    }

    private String uri(String path) {
        return "coap://127.0.0.1:" + transport.address().getPort() + path;
    }
}
