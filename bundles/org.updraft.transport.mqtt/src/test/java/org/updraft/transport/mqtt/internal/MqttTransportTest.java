package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.store.CidOptions;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateService;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceAttestations;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;

/**
 * The MQTT device API against a real mosquitto, over a platform of real components, with Paho clients as devices.
 */
class MqttTransportTest {

    static final String PREFIX = "updraft";

    @TempDir
    Path dir;

    private Mosquitto broker;
    private TestPlatform platform;
    private MqttTransport transport;
    private byte[] image;
    private Release release;

    @BeforeEach
    void start() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        platform = new TestPlatform(dir.resolve("platform"));
        // a chunk and a bit: a download crosses the store's chunk boundary
        image = SeededContent.bytes(3, ChunkCache.CHUNK_BYTES + 4321);
        release = platform.publish(image, 7);
        platform.register("dev-1");
        platform.register("dev-2");
        transport = transport(Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.close();
        }
        platform.close();
        broker.close();
    }

    private MqttTransport transport(Map<String, Object> overrides) throws InterruptedException {
        Map<String, Object> values = new HashMap<>();
        values.put("broker.uri", broker.uri());
        values.put("client.id", "platform-" + System.nanoTime());
        values.putAll(overrides);
        MqttTransport t = new MqttTransport(Configs.of(MqttTransportConfig.class, values), platform.updates);
        t.bindStore(platform.store);
        t.bindReleases(platform.releases);
        awaitReady(t);
        return t;
    }

    private void awaitReady(MqttTransport t) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (!t.isReady()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the transport did not connect and subscribe: " + t.status()
                        + "\nbroker log:\n" + broker.log());
            }
            Thread.sleep(20);
        }
    }

    private TestDevice device(String id) throws Exception {
        return new TestDevice(broker.uri(), PREFIX, id, null);
    }

    private static byte[] checkRequest(long seq) {
        return Cbor.encode(Map.of("seq", seq));
    }

    private static String error(MqttMessage answer) {
        List<UserProperty> user = answer.getProperties().getUserProperties();
        return user.stream().filter(p -> p.getKey().equals("error")).map(UserProperty::getValue).findFirst()
                .orElse(null);
    }

    /**
     * The answer's bytes without its statement, once the statement checked out for this device and nonce: the rest
     * is the update service's answer, byte for byte.
     */
    static byte[] withoutStatement(byte[] answer, String deviceId, byte[] nonce, UpdateService updates)
            throws Exception {
        UpdateAnswers.Decoded decoded = UpdateAnswers.decodeAnswer(answer);
        AnswerStatements.check(decoded.statement(), VerificationKey.fromDid(updates.statementKey()), deviceId, nonce,
                decoded.answer(), Instant.now());
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = new TreeMap<>((Map<Object, Object>) Cbor.decode(answer));
        map.remove("statement");
        return Cbor.encode(map);
    }

    private byte[] withoutStatement(byte[] answer, String deviceId, byte[] nonce) throws Exception {
        return withoutStatement(answer, deviceId, nonce, platform.updates);
    }

    @Test
    void aCheckWithANonceGetsAStatementNamingItAndABadNonceIsRefused() throws Exception {
        try (TestDevice dev = device("dev-1")) {
            byte[] nonce = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
            MqttMessage answer = dev.request("check", Cbor.encode(Map.of("seq", 1L, "nonce", nonce)),
                    dev.down("answers"), new byte[] {1});
            assertNull(error(answer), () -> new String(answer.getPayload(), StandardCharsets.UTF_8));
            assertArrayEquals(UpdateAnswers.encode(platform.updates.check("dev-1", 1)),
                    withoutStatement(answer.getPayload(), "dev-1", nonce));

            MqttMessage refused = dev.request("check", Cbor.encode(Map.of("seq", 1L, "nonce", new byte[33])),
                    dev.down("answers"), new byte[] {2});
            assertEquals("malformed", error(refused));
            assertTrue(new String(refused.getPayload(), StandardCharsets.UTF_8).contains("at most 32 bytes"));
        }
    }

    @Test
    void checkByRequestResponseAnswersTheBytesOfTheUpdateServicesAnswer() throws Exception {
        try (TestDevice dev = device("dev-1")) {
            byte[] correlation = {1, 2, 3};
            MqttMessage none = dev.request("check", checkRequest(1), dev.down("answers"), correlation);
            assertNull(error(none), () -> new String(none.getPayload(), StandardCharsets.UTF_8));
            assertEquals(DeviceRequests.CBOR, none.getProperties().getContentType());
            assertArrayEquals(UpdateAnswers.encode(platform.updates.check("dev-1", 1)), withoutStatement(none
                    .getPayload(), "dev-1", new byte[0]));
            assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(none.getPayload()));

            Rollout rollout = platform.rollout(release);
            // the first offer to a device is recorded on the ledger: ask once so the answer no longer moves
            platform.updates.check("dev-1", 1);
            MqttMessage offer = dev.request("check", checkRequest(1), dev.down("answers"), new byte[] {9});
            UpdateAnswer expected = platform.updates.check("dev-1", 1);
            assertInstanceOf(UpdateAnswer.Offer.class, expected);
            assertArrayEquals(UpdateAnswers.encode(expected), withoutStatement(offer.getPayload(), "dev-1",
                    new byte[0]));
            DeviceAnswer.Offer decoded = assertInstanceOf(DeviceAnswer.Offer.class,
                    UpdateAnswers.decode(offer.getPayload()));
            assertEquals(rollout.id(), decoded.rolloutId());
            assertEquals(release.id(), decoded.releaseId());
        }
    }

    @Test
    void theRetainedOfferAppearsWhenARolloutStartsAndIsClearedWhenThereIsNothingToOffer() throws Exception {
        try (TestDevice dev = device("dev-1")) {
            dev.request("check", checkRequest(1), dev.down("answers"), new byte[] {1});
            Rollout rollout = platform.rollout(release);
            transport.answersChanged(rollout.id()); // in a framework the rollout engine calls the listener

            MqttMessage retained = dev.awaitAnswer(dev.down("offer"), null, 10_000);
            DeviceAnswer.Offer offer = assertInstanceOf(DeviceAnswer.Offer.class,
                    UpdateAnswers.decode(retained.getPayload()));
            assertEquals(release.id(), offer.releaseId());
            // a device that subscribes later gets it from the broker, retained
            try (TestDevice later = new TestDevice(broker.uri(), PREFIX, "dev-1", null)) {
                MqttMessage kept = later.awaitAnswer(later.down("offer"), null, 5_000);
                assertTrue(kept.isRetained());
                assertArrayEquals(retained.getPayload(), kept.getPayload());
            }

            platform.rollouts.cancel(rollout.id(), "test", "stop it");
            transport.answersChanged(rollout.id());
            MqttMessage cleared = dev.awaitAnswer(dev.down("offer"), null, 10_000);
            assertEquals(0, cleared.getPayload().length, "an empty message clears the retained offer");
            try (TestDevice later = new TestDevice(broker.uri(), PREFIX, "dev-1", null)) {
                assertNull(later.poll(later.down("offer"), null, 1_000), "the broker still retains an offer");
            }
        }
    }

    @Test
    void aWholeImageDownloadsInBlocksThatFitTheDevicesMaximumPacketSizeAndResumesAnywhere() throws Exception {
        long maxPacket = 1024;
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long size;
        int blocks = 0;
        String cid = release.cid().toString();
        // the first half, then the device "reboots" and resumes from the first byte it does not have
        try (TestDevice dev = new TestDevice(broker.uri(), PREFIX, "dev-1", maxPacket)) {
            size = download(dev, cid, 0, image.length / 2, maxPacket, got);
        }
        assertTrue(got.size() >= image.length / 2);
        try (TestDevice dev = new TestDevice(broker.uri(), PREFIX, "dev-1", maxPacket)) {
            blocks = (int) download(dev, cid, got.size(), image.length, maxPacket, got);
        }
        assertEquals(image.length, size);
        byte[] whole = got.toByteArray();
        assertEquals(image.length, whole.length);
        assertEquals(release.cid(), UnixFsImporter.cid(new ByteArrayInputStream(whole), CidOptions.DEFAULT).cid(),
                "the reassembled image's CID");
        assertTrue(blocks > 0);
        // each 256 KiB chunk was read from the store once, not once per block
        assertTrue(transport.storeReads() <= 2, "store reads: " + transport.storeReads());
    }

    /** Downloads from {@code offset} until {@code until}; returns the image size the answers state. */
    private long download(TestDevice dev, String cid, long offset, long until, long maxPacket,
            ByteArrayOutputStream into) throws Exception {
        long size = -1;
        int n = 0;
        while (offset < until) {
            Map<Object, Object> ask = new TreeMap<>();
            ask.put("cid", cid);
            ask.put("offset", offset);
            ask.put("length", 4096L);
            ask.put("max-packet", maxPacket);
            byte[] correlation = ("b" + n++).getBytes(StandardCharsets.UTF_8);
            MqttMessage answer = dev.request("fw", Cbor.encode(ask), dev.down("fw"), correlation);
            assertNull(error(answer), () -> new String(answer.getPayload(), StandardCharsets.UTF_8));
            assertFalse(answer.isRetained());
            CborMap block = CborMap.decode("block", answer.getPayload());
            assertEquals(offset, block.unsigned("offset"));
            size = block.unsigned("size");
            byte[] data = block.bytes("data");
            assertTrue(data.length > 0 && data.length < maxPacket);
            into.write(data);
            offset += data.length;
        }
        return size;
    }

    @Test
    void aBlockPastTheEndOrOfAnUnknownImageIsRefusedOnTheBlockTopic() throws Exception {
        try (TestDevice dev = device("dev-1")) {
            Map<Object, Object> ask = new TreeMap<>();
            ask.put("cid", release.cid().toString());
            ask.put("offset", (long) image.length);
            ask.put("length", 100L);
            assertEquals("out-of-range", error(dev.request("fw", Cbor.encode(ask), dev.down("fw"), new byte[] {1})));
            ask.put("offset", 0L);
            ask.put("cid", "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
            assertEquals("not-found", error(dev.request("fw", Cbor.encode(ask), dev.down("fw"), new byte[] {2})));
        }
    }

    @Test
    void aReportIsRecordedOnItsDevicesTopicAndRefusedOnAnotherDevicesTopic() throws Exception {
        Rollout rollout = platform.rollout(release);
        platform.updates.check("dev-1", 1);
        platform.updates.check("dev-2", 1);
        try (TestDevice dev1 = device("dev-1")) {
            byte[] byDev2 = platform.report("dev-2", rollout.id(), release.id(), DeviceState.DOWNLOADING);
            MqttMessage refused = dev1.request("report", byDev2, dev1.down("answers"), new byte[] {1});
            assertEquals("wrong-device", error(refused));

            byte[] byDev1 = platform.report("dev-1", rollout.id(), release.id(), DeviceState.DOWNLOADING);
            MqttMessage recorded = dev1.request("report", byDev1, dev1.down("answers"), new byte[] {2});
            assertNull(error(recorded), () -> new String(recorded.getPayload(), StandardCharsets.UTF_8));
            assertTrue(CborMap.decode("receipt", recorded.getPayload()).integer("index") >= 0);
            assertEquals(DeviceState.DOWNLOADING, platform.registry.find("dev-1").orElseThrow().state());
            assertEquals(DeviceState.IDLE, platform.registry.find("dev-2").orElseThrow().state(),
                    "dev-2's report sent on dev-1's topic was recorded");
        }
    }

    @Test
    void malformedAndOversizedRequestsAreAnsweredWithAnErrorAndThePlatformKeepsAnswering() throws Exception {
        try (TestDevice dev = device("dev-1")) {
            byte[] garbage = {(byte) 0xff, 0x00, 0x13, 0x37};
            MqttMessage malformed = dev.request("check", garbage, dev.down("answers"), new byte[] {1});
            assertEquals("malformed", error(malformed));
            assertEquals(DeviceRequests.TEXT, malformed.getProperties().getContentType());
            assertEquals("malformed", error(dev.request("report", garbage, dev.down("answers"), new byte[] {2})));
            assertEquals("malformed", error(dev.request("fw", garbage, dev.down("fw"), new byte[] {3})));
            assertEquals("too-large", error(dev.request("report", new byte[5000], dev.down("answers"),
                    new byte[] {4})));

            MqttMessage fine = dev.request("check", checkRequest(1), dev.down("answers"), new byte[] {5});
            assertNull(error(fine));
        }
        try (TestDevice stranger = device("dev-9")) {
            assertEquals("unknown-device", error(stranger.request("check", checkRequest(1),
                    stranger.down("answers"), new byte[] {1})));
        }
    }

    @Test
    void enrollmentRegistersADeviceOnlyWithAutoRegistrationAndOnlyOnItsOwnTopic() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        // with the device certificate the manufacturer signed for its key, as the platform requires by default
        byte[] attestation = DeviceAttestations.sign(new DeviceAttestations.Attestation(key.did(), TestPlatform.VENDOR,
                TestPlatform.CLASS, now), platform.vendorKey);
        byte[] enrollment = Enrollments.sign(new Enrollment("dev-new", key.did(), TestPlatform.VENDOR,
                TestPlatform.CLASS, null, Set.of(), null, "1.0.0", 1, now, attestation), key);
        try (TestDevice dev = device("dev-new")) {
            assertEquals("forbidden", error(dev.request("enroll", enrollment, dev.down("answers"), new byte[] {1})));
            assertTrue(platform.registry.find("dev-new").isEmpty());
        }
        transport.close();
        transport = transport(Map.of("auto.register", true));
        try (TestDevice other = device("dev-1")) {
            assertEquals("wrong-device", error(other.request("enroll", enrollment, other.down("answers"),
                    new byte[] {2})));
            assertTrue(platform.registry.find("dev-new").isEmpty());
        }
        try (TestDevice dev = device("dev-new")) {
            MqttMessage registered = dev.request("enroll", enrollment, dev.down("answers"), new byte[] {3});
            assertNull(error(registered), () -> new String(registered.getPayload(), StandardCharsets.UTF_8));
            assertEquals("dev-new", CborMap.decode("enrolled", registered.getPayload()).text("device"));
            assertEquals(key.did(), platform.registry.find("dev-new").orElseThrow().publicKey());
            // and it can check now
            assertNull(error(dev.request("check", checkRequest(1), dev.down("answers"), new byte[] {4})));
        }
    }

    @Test
    void aResponseTopicOfAnotherDeviceGetsNoAnswerThereAndTheRequestIsCountedAsDropped() throws Exception {
        try (TestDevice dev1 = device("dev-1"); TestDevice dev2 = device("dev-2")) {
            long before = transport.dropped();
            dev1.send(dev1.up("check"), checkRequest(1), dev2.down("answers"), new byte[] {1});
            assertNull(dev2.poll(dev2.down("answers"), null, 1_000), "dev-1 made the platform answer on dev-2's topic");
            long deadline = System.currentTimeMillis() + 5_000;
            while (transport.dropped() == before && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(before + 1, transport.dropped());
            assertTrue(transport.status().endsWith(
                    "; 1 requests dropped (foreign-response-topic 1); 0 shed while busy"), transport.status());
            // and it goes on answering
            assertNull(error(dev1.request("check", checkRequest(1), dev1.down("answers"), new byte[] {2})));
        }
    }

    @Test
    void aFloodOfRequestsWithNowhereToAnswerIsCountedByKindAndLoggedOnceAMinutePerKind() throws Exception {
        int flood = 1500;
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try (TestDevice dev1 = device("dev-1"); TestDevice dev2 = device("dev-2")) {
            for (int i = 0; i < flood; i++) {
                switch (i % 3) {
                case 0 -> dev1.send(dev1.up("report"), "not a report".getBytes(StandardCharsets.UTF_8), null, null);
                case 1 -> dev1.send(dev1.up("check"), checkRequest(1), dev2.down("answers"), null);
                default -> dev1.send(dev1.up("report"), new byte[0], null, null);
                }
                if (i % 10 == 9) {
                    // paced: the client keeps few publishes in flight, and none is shed while the workers are busy
                    awaitDropped(i + 1);
                }
            }
            awaitDropped(flood);
        } finally {
            System.setErr(stderr);
        }
        String lines = log.toString(StandardCharsets.UTF_8);
        assertTrue(lines.lines().count() <= 2, "one line per kind:\n" + lines);
        assertFalse(lines.contains("Exception"), "no stack trace:\n" + lines);
        assertTrue(transport.status().endsWith("; 1500 requests dropped (foreign-response-topic 500, malformed 1000); "
                + "0 shed while busy"), transport.status());
        try (TestDevice dev = device("dev-1")) {
            assertNull(error(dev.request("check", checkRequest(1), dev.down("answers"), new byte[] {1})));
        }
    }

    private void awaitDropped(long n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (transport.dropped() < n) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("only " + transport.dropped() + " of " + n + " requests were counted: "
                        + transport.status());
            }
            Thread.sleep(2);
        }
    }

    @Test
    void twoNodesShareTheRequestTopicsAndEachRequestIsAnsweredOnce() throws Exception {
        MqttTransport second = transport(Map.of());
        try (TestDevice dev = device("dev-1")) {
            int n = 40;
            for (int i = 0; i < n; i++) {
                dev.send(dev.up("check"), checkRequest(1), dev.down("answers"), new byte[] {(byte) i});
            }
            Set<Integer> answered = new HashSet<>();
            int answers = 0;
            MqttMessage m;
            while ((m = dev.poll(dev.down("answers"), null, answers < n ? 10_000 : 1_000)) != null) {
                answers++;
                answered.add((int) m.getProperties().getCorrelationData()[0]);
            }
            assertEquals(n, answers, "every request answered exactly once");
            assertEquals(n, answered.size());
            assertEquals(n, transport.handled() + second.handled());
            assertTrue(transport.handled() > 0 && second.handled() > 0,
                    "the broker gave all requests to one node: " + transport.handled() + " and " + second.handled());
        } finally {
            second.close();
        }
    }

    @Test
    void aTransportStartedBeforeItsBrokerAndOneWhoseBrokerRestartsConnectAndAnswer() throws Exception {
        broker.stop();
        transport.close();
        transport = new MqttTransport(Configs.of(MqttTransportConfig.class, Map.of("broker.uri", broker.uri(),
                "client.id", "platform-late")), platform.updates);
        transport.bindStore(platform.store);
        transport.bindReleases(platform.releases);
        Thread.sleep(300);
        assertFalse(transport.isReady());
        assertTrue(transport.status().startsWith("not connected to " + broker.uri()), transport.status());
        broker.start();
        awaitReady(transport);
        assertTrue(transport.status().startsWith("connected to"), transport.status());
        try (TestDevice dev = device("dev-1")) {
            assertNull(error(dev.request("check", checkRequest(1), dev.down("answers"), new byte[] {1})));
        }

        broker.stop();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!transport.status().startsWith("disconnected from") && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(transport.status().startsWith("disconnected from"), transport.status());
        assertFalse(transport.isReady());
        broker.start();
        awaitReady(transport);
        try (TestDevice dev = device("dev-1")) {
            MqttMessage answer = dev.request("check", checkRequest(1), dev.down("answers"), new byte[] {2});
            assertNotNull(answer);
            assertNull(error(answer));
        }
    }
}
