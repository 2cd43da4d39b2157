package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Message;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.serialization.UdpDataParser;
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
 * Malformed datagrams and requests, written byte by byte as anyone on the network can send them, to a real server:
 * each gets its answer (or none), is counted by kind in the status line, and a flood of them costs a few log lines
 * while the server keeps serving.
 */
class MalformedInputTest {

    private static final int URI_PATH = 11;
    private static final int CONTENT_FORMAT = 12;
    private static final int URI_QUERY = 15;
    private static final int BLOCK1 = 27;
    private static final int OSCORE = 9;
    /** How long a datagram that gets no answer is waited for. */
    private static final int SILENCE_MILLIS = 300;
    /** How long an answer is waited for. */
    private static final int ANSWER_MILLIS = 5000;

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private OneRolloutUpdates updates;
    private CoapTransport transport;
    private DatagramSocket socket;
    private int mid;

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        byte[] image = SeededContent.bytes(5, 3000);
        Cid cid = store.put(new ByteArrayInputStream(image)).cid();
        PublishedRelease published = new PublishedRelease(image, cid, 7);
        updates = new OneRolloutUpdates(published);
        updates.register("dev-1", SigningKey.generate(KeyAlgorithm.ED25519).did());
        transport = new CoapTransport(TestServer.config(Map.of()), updates);
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

    /** A CoAP message built by hand: header, token, options in ascending order, payload. */
    private static final class Datagram {

        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private int lastOption;

        Datagram(int type, int code, int messageId, byte[] token) {
            bytes.write(0x40 | type << 4 | token.length);
            bytes.write(code);
            bytes.write(messageId >> 8 & 0xFF);
            bytes.write(messageId & 0xFF);
            bytes.writeBytes(token);
        }

        /** A confirmable request with a one-byte token. */
        static Datagram con(int code, int messageId) {
            return new Datagram(0, code, messageId, new byte[] {0x5A});
        }

        Datagram option(int number, byte[] value) {
            int delta = number - lastOption;
            lastOption = number;
            bytes.write(nibble(delta) << 4 | nibble(value.length));
            extended(delta);
            extended(value.length);
            bytes.writeBytes(value);
            return this;
        }

        /** RFC 7252 §3.1: 0-12 in the nibble, 13 for one more byte (13-268), 14 for two more (269-65804). */
        private static int nibble(int value) {
            return value < 13 ? value : value < 269 ? 13 : 14;
        }

        private void extended(int value) {
            if (value >= 269) {
                bytes.write(value - 269 >> 8);
                bytes.write(value - 269 & 0xFF);
            } else if (value >= 13) {
                bytes.write(value - 13);
            }
        }

        Datagram option(int number, String value) {
            return option(number, value.getBytes(StandardCharsets.UTF_8));
        }

        Datagram path(String... segments) {
            for (String segment : segments) {
                option(URI_PATH, segment);
            }
            return this;
        }

        Datagram payload(byte[] payload) {
            bytes.write(0xFF);
            bytes.writeBytes(payload);
            return this;
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    private int nextMid() {
        return ++mid & 0xFFFF;
    }

    private void send(byte[] datagram) throws Exception {
        socket.send(new DatagramPacket(datagram, datagram.length, transport.address()));
    }

    /**
     * Sends the datagram; the answer (the message with its message id: answers to earlier datagrams of a flood may
     * still be queued), or null when none came.
     */
    private Message exchange(byte[] datagram, int waitMillis) throws Exception {
        int messageId = datagram.length >= 4 ? (datagram[2] & 0xFF) << 8 | datagram[3] & 0xFF : -1;
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        // the answers to a flood fill the socket's buffer, where this answer would find no room
        socket.setSoTimeout(1);
        try {
            while (true) {
                socket.receive(in);
            }
        } catch (SocketTimeoutException e) {
            // drained
        }
        send(datagram);
        socket.setSoTimeout(waitMillis);
        while (true) {
            try {
                socket.receive(in);
            } catch (SocketTimeoutException e) {
                return null;
            }
            Message answer = new UdpDataParser().parseMessage(Arrays.copyOf(in.getData(), in.getLength()));
            if (answer.getMID() == messageId) {
                return answer;
            }
        }
    }

    private Response answered(ResponseCode code, String mention, Datagram datagram) throws Exception {
        Message answer = exchange(datagram.bytes(), ANSWER_MILLIS);
        Response response = assertInstanceOf(Response.class, answer, () -> "a " + code + " answer, not " + answer);
        String diagnostic = response.getPayloadString();
        assertEquals(code, response.getCode(), diagnostic);
        assertFalse(diagnostic.isBlank(), "a diagnostic payload");
        assertTrue(diagnostic.contains(mention), diagnostic + " should mention " + mention);
        return response;
    }

    private void dropped(byte[] datagram) throws Exception {
        Message answer = exchange(datagram, SILENCE_MILLIS);
        assertNull(answer, () -> "no answer to " + Arrays.toString(datagram) + ", not " + answer);
    }

    private Map<String, Long> counted() {
        return transport.malformed().counts();
    }

    private void assertStillServes() throws Exception {
        Datagram check = Datagram.con(1, nextMid()).path("check", "dev-1").option(URI_QUERY, "seq=1");
        Response ok = assertInstanceOf(Response.class, exchange(check.bytes(), ANSWER_MILLIS),
                "an answer to a valid check");
        assertEquals(ResponseCode.CONTENT, ok.getCode(), ok.getPayloadString());
        assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(ok.getPayload()));
    }

    @Test
    void datagramsTooShortForAHeaderOrWithABadVersionOrTokenLengthAreDroppedAndCounted() throws Exception {
        dropped(new byte[] {0x40});
        dropped(new byte[] {0x40, 0x01});
        dropped(new byte[] {0x40, 0x01, 0x00});
        for (int version : new int[] {0, 2, 3}) {
            dropped(new byte[] {(byte) (version << 6), 0x01, 0x00, 0x01});
        }
        for (int tokenLength = 9; tokenLength <= 15; tokenLength++) {
            byte[] datagram = new byte[4 + 16];
            datagram[0] = (byte) (0x40 | tokenLength);
            datagram[1] = 0x01;
            dropped(datagram);
        }
        // a token length of 8 in a datagram with room for 2
        dropped(new byte[] {0x48, 0x01, 0x00, 0x02, 0x11, 0x22});

        assertEquals(Map.of("short-datagram", 3L, "bad-version", 3L, "bad-token-length", 8L), counted());
        assertStillServes();
        assertTrue(transport.status().endsWith("; malformed input: bad-token-length 8, bad-version 3, "
                + "short-datagram 3"), transport.status());
    }

    @Test
    void aUriPathSegmentHoldingASlashOrEmptyGets400() throws Exception {
        answered(ResponseCode.BAD_REQUEST, "'/'",
                Datagram.con(1, nextMid()).path("check", "dev/1").option(URI_QUERY, "seq=1"));
        answered(ResponseCode.BAD_REQUEST, "empty Uri-Path segment",
                Datagram.con(1, nextMid()).path("check", "", "dev-1").option(URI_QUERY, "seq=1"));
        answered(ResponseCode.BAD_REQUEST, "empty Uri-Path segment", Datagram.con(1, nextMid()).path("fw", ""));
        // non-confirmable: nothing to acknowledge, so no answer (RFC 7252 §4.3), but counted all the same
        dropped(new Datagram(1, 1, nextMid(), new byte[] {1}).path("check", "a/b").option(URI_QUERY, "seq=1")
                .bytes());
        assertEquals(Map.of("bad-path", 4L), counted());
        assertStillServes();
    }

    @Test
    void aBlock1PayloadLargerThanItsSzxSaysGets400() throws Exception {
        // SZX 0: 16-byte blocks, but 100 bytes of payload
        answered(ResponseCode.BAD_REQUEST, "larger than its block size 16", Datagram.con(2, nextMid())
                .path("report").option(BLOCK1, new byte[] {0x08}).payload(new byte[100]));
        // SZX 2 (64 bytes), block 3, more to come, with 65 bytes
        answered(ResponseCode.BAD_REQUEST, "65 bytes", Datagram.con(2, nextMid())
                .path("enroll").option(BLOCK1, new byte[] {0x3A}).payload(new byte[65]));
        assertEquals(Map.of("oversized-block", 2L), counted());
        assertStillServes();
    }

    @Test
    void anUnknownCriticalOptionAndOscoreGet402AndUnknownElectiveOptionsAreIgnored() throws Exception {
        answered(ResponseCode.BAD_OPTION, "unknown critical option 2051", Datagram.con(1, nextMid())
                .path("check", "dev-1").option(URI_QUERY, "seq=1").option(2051, new byte[] {1}));
        answered(ResponseCode.BAD_OPTION, "unknown critical option 13", Datagram.con(1, nextMid())
                .path("check", "dev-1").option(13, new byte[0]).option(URI_QUERY, "seq=1"));
        answered(ResponseCode.BAD_OPTION, "OSCORE", Datagram.con(1, nextMid())
                .option(OSCORE, new byte[] {0x09, 0x00}).path("check", "dev-1").option(URI_QUERY, "seq=1"));
        // an elective option this server does not know is ignored (RFC 7252 §5.4.1)
        Response ok = answered(ResponseCode.CONTENT, "", Datagram.con(1, nextMid())
                .path("check", "dev-1").option(URI_QUERY, "seq=1").option(2050, new byte[] {1}));
        assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(ok.getPayload()));
        assertEquals(Map.of("unknown-critical-option", 2L, "oscore", 1L), counted());
    }

    @Test
    void aResponseSentToTheServerIsDroppedEvenWithAnObserversToken() throws Exception {
        // an observed check: the server now holds an exchange under the observer's token for its notifications, to
        // which Californium matched a response with that token and failed on it with a stack trace each time
        Message observed = exchange(Datagram.con(1, nextMid()).option(6, new byte[0]).path("check", "dev-1")
                .option(URI_QUERY, "seq=1").bytes(), ANSWER_MILLIS);
        assertEquals(ResponseCode.CONTENT, assertInstanceOf(Response.class, observed).getCode());
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            for (int code : new int[] {0x45, 0x44, 0x84, 0xA0}) { // 2.05, 2.04, 4.04, 5.00
                dropped(new Datagram(0, code, nextMid(), new byte[] {0x5A}).bytes());
            }
        } finally {
            System.setErr(stderr);
        }
        String lines = log.toString(StandardCharsets.UTF_8);
        assertFalse(lines.contains("Exception"), "no stack trace:\n" + lines);
        assertEquals(Map.of("unexpected-response", 4L), counted());
        assertStillServes();
    }

    @Test
    void undefinedCodesGetARstUnreadableOptionsA402BertA400AndUnknownOrWrongMethodsA405() throws Exception {
        for (int code : new int[] {0x21, 0xC0, 0xE1}) { // 1.01, 6.00, 7.01
            int messageId = nextMid();
            Message rst = exchange(Datagram.con(code, messageId).path("check").bytes(), ANSWER_MILLIS);
            assertTrue(rst != null && rst.getType() == CoAP.Type.RST && rst.getMID() == messageId,
                    "a RST to code " + code + ", not " + rst);
        }
        // option bytes that cannot be read: a delta nibble of 15 (reserved for the payload marker), a length past the
        // end of the datagram, a payload marker with no payload
        Map<byte[], String> unreadable = Map.of(new byte[] {(byte) 0xF1, 0}, "illegal option delta",
                new byte[] {0x05, 'a'}, "option of length 5", new byte[] {(byte) 0xFF}, "payload marker");
        for (Map.Entry<byte[], String> tail : unreadable.entrySet()) {
            byte[] datagram = Datagram.con(1, nextMid()).path("check").bytes();
            byte[] bad = Arrays.copyOf(datagram, datagram.length + tail.getKey().length);
            System.arraycopy(tail.getKey(), 0, bad, datagram.length, tail.getKey().length);
            Message answer = exchange(bad, ANSWER_MILLIS);
            Response response = assertInstanceOf(Response.class, answer, () -> "a 4.02, not " + answer);
            assertEquals(ResponseCode.BAD_OPTION, response.getCode(), response.getPayloadString());
            assertTrue(response.getPayloadString().contains(tail.getValue()), response.getPayloadString());
        }
        // a critical option whose value is out of its range (Block2 of 4 bytes, at most 3) is refused; an elective
        // one (an ETag of 9 bytes, at most 8) is ignored (RFC 7252 §5.4.3)
        answered(ResponseCode.BAD_OPTION, "length 4", Datagram.con(1, nextMid()).path("check", "dev-1")
                .option(URI_QUERY, "seq=1").option(23, new byte[] {0, 0, 0, 6}));
        answered(ResponseCode.CONTENT, "", Datagram.con(1, nextMid()).option(4, new byte[9]).path("check", "dev-1")
                .option(URI_QUERY, "seq=1"));
        // Block2 with SZX 7 (BERT) is for CoAP over TCP
        answered(ResponseCode.BAD_REQUEST, "BERT", Datagram.con(1, nextMid()).path("check", "dev-1")
                .option(URI_QUERY, "seq=1").option(23, new byte[] {0x17}));
        answered(ResponseCode.METHOD_NOT_ALLOWED, "use GET", Datagram.con(3, nextMid()).path("check", "dev-1")
                .option(URI_QUERY, "seq=1"));
        answered(ResponseCode.METHOD_NOT_ALLOWED, "POST", Datagram.con(1, nextMid()).path("report"));
        answered(ResponseCode.METHOD_NOT_ALLOWED, "unknown method 0.31", Datagram.con(0x1F, nextMid()).path("check"));
        assertEquals(Map.of("bad-code", 3L, "bad-option", 5L, "bad-block", 1L, "bad-method", 3L), counted());
        assertStillServes();
    }

    @Test
    void aReportOrEnrollmentOfAnotherContentFormatGets415() throws Exception {
        answered(ResponseCode.UNSUPPORTED_CONTENT_FORMAT, "Content-Format 0", Datagram.con(2, nextMid())
                .path("report").option(CONTENT_FORMAT, new byte[0]).payload("hello".getBytes(StandardCharsets.UTF_8)));
        answered(ResponseCode.UNSUPPORTED_CONTENT_FORMAT, "Content-Format 50", Datagram.con(2, nextMid())
                .path("enroll").option(CONTENT_FORMAT, new byte[] {50}).payload("{}".getBytes(StandardCharsets.UTF_8)));
        // COSE_Sign1 (18), CBOR (60) and none are accepted: the payload is read, and this one is not a report
        for (byte[] format : List.of(new byte[] {18}, new byte[] {60})) {
            answered(ResponseCode.BAD_REQUEST, "", Datagram.con(2, nextMid())
                    .path("report").option(CONTENT_FORMAT, format).payload(new byte[] {(byte) 0xd2, 0x01}));
        }
        answered(ResponseCode.BAD_REQUEST, "", Datagram.con(2, nextMid()).path("report")
                .payload(new byte[] {(byte) 0xd2, 0x01}));
        assertEquals(Map.of("bad-content-format", 2L, "bad-payload", 3L), counted());
    }

    @Test
    void badQueriesAndPathsOfWellFormedRequestsAreCountedToo() throws Exception {
        answered(ResponseCode.BAD_REQUEST, "unsigned decimal", Datagram.con(1, nextMid()).path("check", "dev-1")
                .option(URI_QUERY, "seq=x"));
        answered(ResponseCode.BAD_REQUEST, "only seq", Datagram.con(1, nextMid()).path("check", "dev-1")
                .option(URI_QUERY, "seq=1").option(URI_QUERY, "debug=1"));
        answered(ResponseCode.BAD_REQUEST, "device id", Datagram.con(1, nextMid()).path("check", "-x"));
        // a well-formed request for something that is not there is not malformed input
        answered(ResponseCode.NOT_FOUND, "dev-404", Datagram.con(1, nextMid()).path("check", "dev-404")
                .option(URI_QUERY, "seq=1"));
        answered(ResponseCode.NOT_FOUND, "no resource", Datagram.con(1, nextMid()).path("nope"));
        assertEquals(Map.of("bad-query", 2L, "bad-path", 1L), counted());
        String status = transport.status();
        assertTrue(status.endsWith("requests; malformed input: bad-path 1, bad-query 2"), status);
    }

    @Test
    void aFloodOfMalformedDatagramsCostsAFewLogLinesAndTheServerKeepsServing() throws Exception {
        List<java.util.function.IntFunction<byte[]>> kinds = List.of(
                m -> new byte[] {0x40, 0x01},
                m -> new byte[] {(byte) 0x80, 0x01, (byte) (m >> 8), (byte) m},
                m -> Datagram.con(1, m).path("check", "a/b").option(URI_QUERY, "seq=1").bytes(),
                m -> Datagram.con(2, m).path("report").option(BLOCK1, new byte[] {0x08}).payload(new byte[64]).bytes(),
                m -> Datagram.con(1, m).path("check", "dev-1").option(URI_QUERY, "seq=1").option(99, new byte[0])
                        .bytes(),
                m -> Datagram.con(1, m).path("check", "dev-1").option(URI_QUERY, "seq=" + m + "x").bytes());
        int flood = 6000;
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        long started = System.nanoTime();
        try {
            for (int i = 0; i < flood; i++) {
                send(kinds.get(i % kinds.size()).apply(nextMid()));
                if (i % 200 == 199) {
                    // paced, so that no datagram is lost in the socket's buffer and the count is exact
                    awaitCounted(i + 1);
                }
            }
            awaitCounted(flood);
        } finally {
            System.setErr(stderr);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        String lines = log.toString(StandardCharsets.UTF_8);
        List<String> logged = lines.lines().collect(Collectors.toList());
        System.out.println(flood + " malformed datagrams in " + millis + " ms; " + logged.size() + " log lines");
        assertTrue(logged.size() <= kinds.size(), "at most one line per kind:\n" + lines);
        assertFalse(lines.contains("Exception"), "no stack trace:\n" + lines);
        Map<String, Long> expected = new TreeMap<>(Map.of("short-datagram", 1000L, "bad-version", 1000L,
                "bad-path", 1000L, "oversized-block", 1000L, "unknown-critical-option", 1000L, "bad-query", 1000L));
        assertEquals(expected, counted());
        assertStillServes();
    }

    @Test
    void requestsThatHitAPlatformBugGet500AndTheirStackTraceIsLoggedOnceAMinute() throws Exception {
        updates.broken = true;
        int requests = 300;
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < requests; i++) {
                answered(ResponseCode.INTERNAL_SERVER_ERROR, "internal error (IllegalStateException)",
                        Datagram.con(1, nextMid()).path("check", "dev-1").option(URI_QUERY, "seq=1"));
            }
        } finally {
            System.setErr(stderr);
        }
        String lines = log.toString(StandardCharsets.UTF_8);
        assertEquals(1, lines.lines().filter(l -> l.contains(" WARN ")).count(), lines);
        assertEquals(1, lines.lines().filter(l -> l.contains("IllegalStateException: a bug")).count(),
                "one stack trace:\n" + lines);
        String status = transport.status();
        assertTrue(status.endsWith("; failed with a platform bug (see karaf.log): IllegalStateException 300"),
                status);
        assertEquals(Map.of(), counted(), "a bug is not malformed input");
        updates.broken = false;
        assertStillServes();
    }

    private void awaitCounted(long n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (transport.malformed().total() < n) {
            if (System.nanoTime() > deadline) {
                fail("only " + transport.malformed().total() + " of " + n + " malformed datagrams were counted: "
                        + counted());
            }
            Thread.sleep(1);
        }
    }
}
