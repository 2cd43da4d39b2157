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

import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Message;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.coap.Token;
import org.eclipse.californium.core.network.serialization.UdpDataParser;
import org.eclipse.californium.core.network.serialization.UdpDataSerializer;
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
        transport = new CoapTransport(TestServer.config(Map.of("auto.register", "true")), updates);
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
                send(Mutator.next(random, seeds));
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
        socket.send(new DatagramPacket(datagram, datagram.length, transport.address()));
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
