package org.updraft.device.internal.mqtt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.device.DeviceLink;
import org.updraft.device.internal.MqttSession;
import org.updraft.device.internal.mqtt.MqttPacket.Connect;
import org.updraft.device.internal.mqtt.MqttPacket.PubAck;
import org.updraft.device.internal.mqtt.MqttPacket.Publish;
import org.updraft.device.internal.mqtt.MqttPacket.SubAck;
import org.updraft.testing.Mosquitto;

/**
 * The device's MQTT 5 connection against a real mosquitto, checked with mosquitto's own clients where that is cheap
 * ({@code mosquitto_sub} sees what the device sends, {@code mosquitto_pub} sends what the device reads), and against
 * a socket that answers with broken packets, which must end the connection with a clear error, never a loop.
 */
class MqttConnectionTest {

    private static final int TIMEOUT = 5_000;

    @TempDir
    Path dir;

    private Mosquitto broker;
    private final List<MqttConnection> connections = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() throws Exception {
        connections.forEach(MqttConnection::close);
        processes.forEach(Process::destroyForcibly);
        timers.shutdownNow();
        if (broker != null) {
            broker.close();
        }
    }

    private MqttConnection connect(String clientId, int keepAlive, long maxPacketSize) throws IOException {
        MqttProperties properties = new MqttProperties().put(MqttProperties.MAXIMUM_PACKET_SIZE, maxPacketSize)
                .put(MqttProperties.RECEIVE_MAXIMUM, 32L);
        MqttConnection c = MqttConnection.open("127.0.0.1", broker.port(), null,
                new Connect(clientId, true, keepAlive, clientId, null, properties), maxPacketSize, TIMEOUT);
        connections.add(c);
        return c;
    }

    /** Reads in a thread of its own, as a session does; the messages go to the queue, the end to the future. */
    private static CompletableFuture<Void> reading(MqttConnection c, BlockingQueue<Publish> messages) {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                c.receive(messages::add);
                ended.complete(null);
            } catch (IOException | RuntimeException e) {
                ended.completeExceptionally(e);
            }
        }, "test-reader");
        reader.setDaemon(true);
        reader.start();
        return ended;
    }

    private Process start(String... command) throws IOException {
        List<String> line = new ArrayList<>(List.of(command));
        line.set(0, Mosquitto.program(command[0]));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    private String run(String... command) throws Exception {
        Process p = start(command);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    @Test
    void mosquittoSubSeesTheDevicesRequestWithItsProperties() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        MqttConnection device = connect("dev-1", 30, 4096);
        reading(device, new LinkedBlockingQueue<>());
        Process sub = start("mosquitto_sub", "-V", "mqttv5", "-p", String.valueOf(broker.port()), "-q", "1", "-t",
                "updraft/up/#", "-C", "1", "-F", "%t|%q|%R|%D|%C|%P|%p");
        MqttProperties properties = new MqttProperties().put(MqttProperties.RESPONSE_TOPIC,
                "updraft/down/dev-1/answers").put(MqttProperties.CORRELATION_DATA, "c-42".getBytes(
                        StandardCharsets.US_ASCII)).put(MqttProperties.CONTENT_TYPE, "application/cbor")
                .userProperty("kind", "check");
        // until mosquitto_sub has subscribed, a message finds no one: send until it has one
        long deadline = System.currentTimeMillis() + 10_000;
        while (sub.isAlive()) {
            assertTrue(System.currentTimeMillis() < deadline, "mosquitto_sub never got the request");
            PubAck ack = device.publish(new Publish("updraft/up/dev-1/check", 1, false, false, 1, properties,
                    "hello".getBytes(StandardCharsets.US_ASCII))).get(TIMEOUT, TimeUnit.MILLISECONDS);
            assertTrue(ack.reasonCode() == 0 || ack.reasonCode() == 0x10, "PUBACK " + ack);
            sub.waitFor(200, TimeUnit.MILLISECONDS);
        }
        String seen = new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals("updraft/up/dev-1/check|1|updraft/down/dev-1/answers|c-42|application/cbor|kind:check|hello",
                seen);
    }

    @Test
    void theDeviceReadsWhatMosquittoPubSendsAndNothingOverItsMaximumPacketSize() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        String port = String.valueOf(broker.port());
        // retained before the device subscribes, as the platform's offers are
        run("mosquitto_pub", "-V", "mqttv5", "-p", port, "-q", "1", "-r", "-t", "updraft/down/dev-1/offer", "-m",
                "an offer");
        MqttConnection device = connect("dev-1", 30, 1024);
        BlockingQueue<Publish> messages = new LinkedBlockingQueue<>();
        CompletableFuture<Void> ended = reading(device, messages);
        SubAck subscribed = device.subscribe(List.of("updraft/down/dev-1/#"), 1).get(TIMEOUT, TimeUnit.MILLISECONDS);
        assertEquals(List.of(1), subscribed.reasonCodes(), "granted QoS 1");

        Publish offer = messages.poll(TIMEOUT, TimeUnit.MILLISECONDS);
        assertNotNull(offer, "the retained offer");
        assertTrue(offer.retain());
        assertEquals("an offer", new String(offer.payload(), StandardCharsets.US_ASCII));

        // 2,000 bytes: over the 1,024 the device announced, so mosquitto must not send it (MQTT 5.0, 3.1.2.11.4)
        run("mosquitto_pub", "-V", "mqttv5", "-p", port, "-q", "1", "-t", "updraft/down/dev-1/fw", "-m",
                "x".repeat(2_000));
        run("mosquitto_pub", "-V", "mqttv5", "-p", port, "-q", "1", "-t", "updraft/down/dev-1/answers", "-m",
                "busy", "-D", "PUBLISH", "correlation-data", "abc", "-D", "PUBLISH", "user-property", "error",
                "unavailable", "-D", "PUBLISH", "user-property", "retry-after", "30", "-D", "PUBLISH",
                "message-expiry-interval", "60", "-D", "PUBLISH", "content-type", "text/plain");
        Publish answer = messages.poll(TIMEOUT, TimeUnit.MILLISECONDS);
        assertNotNull(answer);
        assertEquals("updraft/down/dev-1/answers", answer.topic(), "the 2,000-byte message was not delivered");
        assertEquals(1, answer.qos());
        assertFalse(answer.retain());
        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII),
                answer.properties().binary(MqttProperties.CORRELATION_DATA));
        assertEquals("unavailable", answer.properties().userProperty("error"));
        assertEquals("30", answer.properties().userProperty("retry-after"));
        assertEquals("text/plain", answer.properties().text(MqttProperties.CONTENT_TYPE));
        assertNotNull(answer.properties().number(MqttProperties.MESSAGE_EXPIRY));
        assertEquals("busy", new String(answer.payload(), StandardCharsets.US_ASCII));
        assertNull(messages.poll(300, TimeUnit.MILLISECONDS));
        assertFalse(ended.isDone(), "still connected: every QoS 1 message was acknowledged in time");
    }

    @Test
    void pingsKeepAnIdleConnectionAndWithoutThemTheBrokerDropsIt() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        // a 2 s keep alive: mosquitto drops a client silent for 1.5 times that
        MqttConnection pinged = connect("pinged", 2, 4096);
        MqttConnection silent = connect("silent", 2, 4096);
        timers.scheduleWithFixedDelay(pinged::ping, 200, 200, TimeUnit.MILLISECONDS);
        CompletableFuture<Void> pingedEnd = reading(pinged, new LinkedBlockingQueue<>());
        CompletableFuture<Void> silentEnd = reading(silent, new LinkedBlockingQueue<>());

        Exception dropped = assertThrows(Exception.class, () -> silentEnd.get(8, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, dropped.getCause());
        assertFalse(pingedEnd.isDone(), "PINGREQ and PINGRESP kept it");
        assertTrue(pinged.isOpen());
        PubAck ack = pinged.publish(new Publish("t", 1, false, false, 1, new MqttProperties(), new byte[1]))
                .get(TIMEOUT, TimeUnit.MILLISECONDS);
        assertEquals(0x10, ack.reasonCode(), "no subscribers, and still connected");
    }

    @Test
    void moreMessagesThanTheBrokersReceiveMaximumWaitTheirTurn() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"), List.of("allow_anonymous true", "max_inflight_messages 2"));
        MqttConnection device = connect("dev-1", 30, 4096);
        assertEquals(2L, device.connAck().properties().number(MqttProperties.RECEIVE_MAXIMUM),
                "mosquitto's max_inflight_messages in the CONNACK");
        reading(device, new LinkedBlockingQueue<>());
        List<CompletableFuture<PubAck>> acks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            acks.add(device.publish(new Publish("t/" + i, 1, false, false, 1, new MqttProperties(), new byte[8])));
        }
        for (CompletableFuture<PubAck> ack : acks) {
            assertTrue(ack.get(TIMEOUT, TimeUnit.MILLISECONDS).reasonCode() < 0x80);
        }
        assertTrue(device.isOpen(), "mosquitto would disconnect a client over its Receive Maximum (0x93)");
        assertFalse(broker.log().contains("Receive Maximum"), broker.log());
    }

    @Test
    void aRequestLargerThanTheBrokersMaximumPacketSizeIsRefusedBeforeItIsSent() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"), List.of("allow_anonymous true", "max_packet_size 512"));
        MqttConnection device = connect("dev-1", 30, 4096);
        assertEquals(512L, device.connAck().properties().number(MqttProperties.MAXIMUM_PACKET_SIZE));
        reading(device, new LinkedBlockingQueue<>());
        CompletableFuture<PubAck> big = device.publish(new Publish("t", 1, false, false, 1, new MqttProperties(),
                new byte[600]));
        Exception e = assertThrows(Exception.class, () -> big.get(TIMEOUT, TimeUnit.MILLISECONDS));
        assertInstanceOf(MqttProtocolException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("over the broker's maximum packet size of 512 bytes"),
                e.getCause().getMessage());
        assertTrue(device.isOpen(), "the connection stays");
        assertEquals(0x10, device.publish(new Publish("t", 1, false, false, 1, new MqttProperties(), new byte[100]))
                .get(TIMEOUT, TimeUnit.MILLISECONDS).reasonCode());
    }

    @Test
    void aBrokerThatTakesQos0OnlyGetsQos0() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"), List.of("allow_anonymous true", "max_qos 0"));
        MqttConnection device = connect("dev-1", 30, 4096);
        assertEquals(0L, device.connAck().properties().number(MqttProperties.MAXIMUM_QOS));
        CompletableFuture<Void> ended = reading(device, new LinkedBlockingQueue<>());
        for (int i = 0; i < 3; i++) {
            device.publish(new Publish("t", 1, false, false, 1, new MqttProperties(), new byte[1]))
                    .get(TIMEOUT, TimeUnit.MILLISECONDS);
        }
        Thread.sleep(300);
        assertFalse(ended.isDone(), "mosquitto disconnects a client that publishes over its maximum QoS");
        assertTrue(device.isOpen());
    }

    // ---- a socket that answers with broken packets ----

    /** Accepts connections, answers each CONNECT with a CONNACK and then {@code after}; records what it reads. */
    private static final class BrokenBroker implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        final AtomicInteger accepted = new AtomicInteger();
        final List<byte[]> lastWords = new CopyOnWriteArrayList<>();
        private final Thread thread;

        BrokenBroker(byte[] after) throws IOException {
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        accepted.incrementAndGet();
                        s.setSoTimeout(5_000);
                        InputStream in = s.getInputStream();
                        readPacket(in); // the CONNECT
                        s.getOutputStream().write(new byte[] {0x20, 0x03, 0x00, 0x00, 0x00});
                        s.getOutputStream().write(after);
                        // what the client says before it closes: everything up to its end of the stream
                        lastWords.add(in.readAllBytes());
                    } catch (IOException e) {
                        // the next connection
                    }
                }
            }, "broken-broker");
            thread.setDaemon(true);
            thread.start();
        }

        private static void readPacket(InputStream in) throws IOException {
            in.read();
            int length = 0;
            int shift = 0;
            int b;
            do {
                b = in.read();
                length |= (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            in.readNBytes(length);
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static MqttConnection connectTo(BrokenBroker broken) throws IOException {
        return MqttConnection.open("127.0.0.1", broken.port(), null,
                new Connect("dev-1", true, 30, null, null, new MqttProperties()), 4096, TIMEOUT);
    }

    @Test
    void aMalformedPacketEndsTheConnectionWithADisconnectSayingWhy() throws Exception {
        // a PUBACK with an unknown property
        try (BrokenBroker broken = new BrokenBroker(new byte[] {0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x05, 0x00})) {
            MqttConnection c = connectTo(broken);
            MqttProtocolException e = assertThrows(MqttProtocolException.class,
                    () -> c.receive(m -> { }));
            assertTrue(e.getMessage().contains("unknown property identifier 5 in a PUBACK"), e.getMessage());
            assertFalse(c.isOpen());
            waitFor(() -> broken.lastWords.size() == 1);
            assertArrayEquals(new byte[] {(byte) 0xE0, 0x01, (byte) 0x81}, broken.lastWords.get(0),
                    "DISCONNECT, malformed packet, then the end of the stream");
        }
    }

    @Test
    void anOversizedPacketEndsTheConnectionWithPacketTooLarge() throws Exception {
        // a PUBLISH announcing 1 MiB to a device that allows 4 KiB; its body never comes
        try (BrokenBroker broken = new BrokenBroker(new byte[] {0x30, (byte) 0x80, (byte) 0x80, 0x40})) {
            MqttConnection c = connectTo(broken);
            MqttProtocolException e = assertThrows(MqttProtocolException.class, () -> c.receive(m -> { }));
            assertEquals(MqttProtocolException.PACKET_TOO_LARGE, e.reasonCode());
            waitFor(() -> broken.lastWords.size() == 1);
            assertArrayEquals(new byte[] {(byte) 0xE0, 0x01, (byte) 0x95}, broken.lastWords.get(0));
        }
    }

    @Test
    void aSessionWhoseBrokerSendsGarbageBacksOffInsteadOfLooping() throws Exception {
        // a CONNECT to the client, then reserved packet type 0: every connection ends at once
        try (BrokenBroker broken = new BrokenBroker(new byte[] {0x10, 0x00, 0x00, 0x00})) {
            MqttSession session = new MqttSession("tcp://127.0.0.1:" + broken.port(), "updraft", "dev-1", null, null,
                    4096, Duration.ofMillis(500), timers, s -> { });
            session.connect();
            try {
                CompletableFuture<DeviceLink.Reply> check = session.check(1, new byte[0]);
                Exception e = assertThrows(Exception.class, () -> check.get(5, TimeUnit.SECONDS));
                assertInstanceOf(TimeoutException.class, e.getCause(), "lost, as on the network; the agent repeats");
                Thread.sleep(2_500);
                // connects at 0 s, 1 s later, 2 s after that: a few in 3 s, not thousands
                assertTrue(broken.accepted.get() >= 2 && broken.accepted.get() <= 3, broken.accepted.get()
                        + " connections");
                assertFalse(session.isConnected());
            } finally {
                session.close();
            }
            waitFor(() -> broken.lastWords.size() >= 2);
            byte[] said = broken.lastWords.get(0);
            // its SUBSCRIBE, then DISCONNECT, protocol error: a server never sends CONNECT
            assertEquals((byte) 0x82, said[0], "SUBSCRIBE");
            assertArrayEquals(new byte[] {(byte) 0xE0, 0x01, (byte) 0x82},
                    java.util.Arrays.copyOfRange(said, said.length - 3, said.length));
        }
    }

    @Test
    void aRefusedSubscriptionRefusesTheDevicesRequestsAtOnce() throws Exception {
        // SUBACK for packet id 1 (the session's SUBSCRIBE): 135, not authorized
        try (BrokenBroker broken = new BrokenBroker(new byte[] {(byte) 0x90, 0x04, 0x00, 0x01, 0x00, (byte) 0x87})) {
            MqttSession session = new MqttSession("tcp://127.0.0.1:" + broken.port(), "updraft", "dev-1", null, null,
                    4096, Duration.ofSeconds(10), timers, s -> { });
            session.connect();
            try {
                long started = System.nanoTime();
                DeviceLink.Reply reply = session.check(1, new byte[0]).get(5, TimeUnit.SECONDS);
                assertEquals(DeviceLink.Status.REFUSED, reply.status());
                assertEquals("not-authorized: the broker refused the subscription of dev-1 to updraft/down/dev-1/#"
                        + " (SUBACK reason code 135, not authorized)", reply.diagnostic());
                assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 3_000,
                        "refused at once, not after the 10 s request timeout");
                assertFalse(session.isConnected());
            } finally {
                session.close();
            }
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + TIMEOUT;
        while (!condition.getAsBoolean()) {
            assertTrue(System.currentTimeMillis() < deadline, "timed out");
            Thread.sleep(10);
        }
    }
}
