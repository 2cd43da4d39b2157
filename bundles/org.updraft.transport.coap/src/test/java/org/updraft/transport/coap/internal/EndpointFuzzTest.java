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
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Message;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.coap.Token;
import org.eclipse.californium.core.network.serialization.UdpDataParser;
import org.eclipse.californium.core.network.serialization.UdpDataSerializer;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.EndpointContext;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.scandium.DTLSConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.multiformats.Cid;
import org.updraft.core.fuzz.Mutator;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * The running CoAP endpoint fuzzed: valid requests of every kind the device API takes (a check, an observed check, a
 * firmware block, a signed report, a signed enrollment), mutated (core's {@link Mutator}) and sent as raw datagrams.
 * Whatever the input, no exception may reach Californium (it would log it with a stack trace) or be counted as a
 * platform bug, the log grows by a bounded number of lines, and a valid check is answered afterwards.
 *
 * <p>The same over DTLS: the mutated requests inside a session of dev-1's key, and mutated DTLS records (a real
 * ClientHello and application data) sent raw to the DTLS port, where Scandium must drop what it cannot authenticate.
 *
 * <p>Deterministic and a few seconds by default; {@code -Dupdraft.fuzz.iterations} and {@code -Dupdraft.fuzz.seed}
 * run it longer or differently, as core's decoder fuzz run.
 */
class EndpointFuzzTest {

    private static final long SEED = Long.getLong("updraft.fuzz.seed", 20261206L);
    private static final int ITERATIONS = Integer.getInteger("updraft.fuzz.iterations", 3000);

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private CoapTransport transport;
    private DatagramSocket socket;
    private Cid image;
    private final SigningKey deviceKey = SigningKey.generate(KeyAlgorithm.ED25519);
    private final SigningKey newcomer = SigningKey.generate(KeyAlgorithm.ED25519);

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        byte[] bytes = SeededContent.bytes(9, 5000);
        image = store.put(new ByteArrayInputStream(bytes)).cid();
        PublishedRelease published = new PublishedRelease(bytes, image, 7);
        OneRolloutUpdates updates = new OneRolloutUpdates(published);
        updates.register("dev-1", deviceKey.did());
        transport = new CoapTransport(TestServer.config(Map.of("auto.register", "true", "dtls_port", 0,
                "dtls_key_file", dir.resolve("dtls-key.pem").toString())), updates);
        transport.bindStore(store);
        transport.bindReleases(TestServer.releases(published.release));
        socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        socket.close();
        transport.close();
        store.close();
    }

    @Test
    void mutatedRequestsOfEveryKindAreAnsweredOrDroppedWithoutAnExceptionOrALogFlood() throws Exception {
        List<byte[]> seeds = seeds();
        Random random = new Random(SEED);
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        long started = System.nanoTime();
        int answered = 0;
        try {
            for (int i = 0; i < ITERATIONS; i++) {
                send(withFreshMessageId(Mutator.next(random, seeds), random));
                if (i % 50 == 49) {
                    // paced: the answers are read, so that the socket's buffer never drops a datagram
                    answered += drain(20);
                }
            }
            answered += drain(300);
        } finally {
            System.setErr(stderr);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        String lines = log.toString(StandardCharsets.UTF_8);
        long logged = lines.lines().count();
        System.out.println(ITERATIONS + " mutated requests (seed " + SEED + ") in " + millis + " ms: " + answered
                + " answers, " + logged + " log lines; " + transport.status());
        assertFalse(lines.contains("Exception"), "no exception reached Californium or the log:\n" + lines);
        assertFalse(transport.status().contains("platform bug"), transport.status());
        // at most one line a minute per kind of malformed input, whatever the number of requests
        assertTrue(logged <= 40, logged + " log lines:\n" + lines);
        assertStillServes();
    }

    @Test
    void overDtlsMutatedRequestsInASessionAndMutatedRecordsAreRefusedOrDroppedWithoutAnExceptionOrALogFlood()
            throws Exception {
        List<byte[]> seeds = seeds();
        Random random = new Random(SEED + 1);
        AtomicInteger answered = new AtomicInteger();
        List<byte[]> recordSeeds = new ArrayList<>();
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        // the device's own DTLS session: mutated CoAP requests as the application data of authenticated records
        DTLSConnector device = new DTLSConnector(TestServer.dtlsClient(deviceKey, dir.resolve("dtls-key.pem")));
        // a socket in front of it records what it sends, so that real records can be mutated and sent raw
        try (DatagramSocket relay = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            device.setRawDataReceiver(data -> answered.incrementAndGet());
            device.start();
            InetSocketAddress platform = transport.dtlsAddress();
            Thread forward = new Thread(() -> relay(relay, platform, recordSeeds), "dtls-relay");
            forward.setDaemon(true);
            forward.start();
            EndpointContext via = new AddressEndpointContext(new InetSocketAddress("127.0.0.1",
                    relay.getLocalPort()));
            // a valid check first, answered once the handshake is done: requests sent during it would wait in
            // Scandium's small queue, and most would be dropped on the device's side, never reaching the platform
            device.send(RawData.outbound(seeds.get(0), via, null, false));
            for (long end = System.nanoTime() + 10_000_000_000L; answered.get() == 0 && System.nanoTime() < end;) {
                Thread.sleep(10);
            }
            assertTrue(answered.get() > 0, "the handshake ended and the check was answered: " + transport.status());
            for (int i = 0; i < ITERATIONS / 2; i++) {
                byte[] request = withFreshMessageId(Mutator.next(random, seeds), random);
                device.send(RawData.outbound(request, via, null, false));
                if (i % 50 == 49) {
                    Thread.sleep(20);
                }
            }
            Thread.sleep(300);
            forward.interrupt();
            relay.close();
            forward.join(2000);
            assertFalse(recordSeeds.isEmpty(), "the device's records were seen");
            for (int i = 0; i < ITERATIONS / 2; i++) {
                send(Mutator.next(random, recordSeeds), platform);
                if (i % 50 == 49) {
                    drain(20);
                }
            }
            drain(300);
        } finally {
            device.destroy();
            System.setErr(stderr);
        }
        String lines = log.toString(StandardCharsets.UTF_8);
        long logged = lines.lines().count();
        System.out.println(ITERATIONS + " mutated requests and records over DTLS (seed " + (SEED + 1) + "): "
                + answered.get() + " answers in the session, " + logged + " log lines; " + transport.status());
        // most mutations are malformed CoAP and counted; a datagram lost on loopback now and then is no failure
        assertTrue(transport.status().contains("requests; malformed input"), transport.status());
        assertFalse(lines.contains("Exception"), "no exception reached Californium, Scandium or the log:\n" + lines);
        assertFalse(transport.status().contains("platform bug"), transport.status());
        assertTrue(logged <= 40, logged + " log lines:\n" + lines);
        assertStillServes();
    }

    /**
     * A new message id for a mutated datagram long enough to have one: the seeds share theirs, and Californium takes a
     * repeated id from the same peer as a retransmission (answered from its cache, never parsed again), which would
     * leave most mutations unexamined.
     */
    private static byte[] withFreshMessageId(byte[] datagram, Random random) {
        if (datagram.length >= 4) {
            datagram[2] = (byte) random.nextInt(256);
            datagram[3] = (byte) random.nextInt(256);
        }
        return datagram;
    }

    /**
     * Forwards the device's datagrams to the platform and the platform's back to the device, keeping a copy of the
     * device's first records (its ClientHello and later application data) as seeds.
     */
    private static void relay(DatagramSocket relay, InetSocketAddress platform, List<byte[]> recorded) {
        InetSocketAddress device = null;
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                relay.receive(in);
                byte[] data = Arrays.copyOf(in.getData(), in.getLength());
                InetSocketAddress from = (InetSocketAddress) in.getSocketAddress();
                if (from.equals(platform)) {
                    if (device != null) {
                        relay.send(new DatagramPacket(data, data.length, device));
                    }
                } else {
                    device = from;
                    synchronized (recorded) {
                        if (recorded.size() < 64) {
                            recorded.add(data);
                        }
                    }
                    relay.send(new DatagramPacket(data, data.length, platform));
                }
            }
        } catch (java.io.IOException e) {
            // closed: the run is over
        }
    }

    /** One valid datagram of each kind of request. */
    private List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        Request check = request(CoAP.Code.GET, "check/dev-1");
        check.getOptions().addUriQuery("seq=1");
        seeds.add(bytes(check));
        Request observe = request(CoAP.Code.GET, "check/dev-1");
        observe.getOptions().addUriQuery("seq=1").setObserve(0).addETag(new byte[8]);
        seeds.add(bytes(observe));
        Request block = request(CoAP.Code.GET, "fw/" + image);
        block.getOptions().setBlock2(new BlockOption(BlockOption.size2Szx(1024), false, 1));
        seeds.add(bytes(block));
        Request report = request(CoAP.Code.POST, "report");
        report.getOptions().setContentFormat(60);
        report.setPayload(DeviceReports.sign(new DeviceReport("dev-1", "r-1", "acme/thermo/7", DeviceState.DOWNLOADING,
                null, "1.0.0", 1, Instant.parse("2026-12-06T10:00:00Z"), 1), deviceKey));
        seeds.add(bytes(report));
        Request enroll = request(CoAP.Code.POST, "enroll");
        enroll.getOptions().setContentFormat(60);
        enroll.setPayload(Enrollments.sign(new Enrollment("dev-2", newcomer.did(), "acme", "thermo", null, Set.of(),
                "eu", "1.0.0", 1, Instant.parse("2026-12-06T10:00:00Z")), newcomer));
        seeds.add(bytes(enroll));
        return seeds;
    }

    private static Request request(CoAP.Code code, String path) {
        Request request = new Request(code, CoAP.Type.CON);
        request.setMID(0x1234);
        request.setToken(new Token(new byte[] {1, 2, 3, 4}));
        request.getOptions().setUriPath(path);
        return request;
    }

    private static byte[] bytes(Request request) {
        return new UdpDataSerializer().getByteArray(request);
    }

    private void send(byte[] datagram) throws Exception {
        send(datagram, transport.address());
    }

    private void send(byte[] datagram, InetSocketAddress to) throws Exception {
        socket.send(new DatagramPacket(datagram, datagram.length, to));
    }

    /** Reads the answers that come within {@code quietMillis} of each other; how many came. */
    private int drain(int quietMillis) throws Exception {
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        socket.setSoTimeout(quietMillis);
        int n = 0;
        try {
            while (true) {
                socket.receive(in);
                n++;
            }
        } catch (SocketTimeoutException e) {
            return n;
        }
    }

    private void assertStillServes() throws Exception {
        Request check = request(CoAP.Code.GET, "check/dev-1");
        check.setMID(0x4321);
        check.getOptions().addUriQuery("seq=1");
        send(bytes(check));
        socket.setSoTimeout(5000);
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        while (true) {
            socket.receive(in);
            Message answer = new UdpDataParser().parseMessage(Arrays.copyOf(in.getData(), in.getLength()));
            if (answer.getMID() == 0x4321) {
                Response ok = assertInstanceOf(Response.class, answer);
                assertEquals(ResponseCode.CONTENT, ok.getCode(), ok.getPayloadString());
                assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(ok.getPayload()));
                return;
            }
        }
    }
}
