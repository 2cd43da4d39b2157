package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.BlockOption;
import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.serialization.UdpDataParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.StoredObject;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/** The device API over a real Californium server, a real local store holding a real image, and a real client. */
class CoapTransportTest {

    /** Crosses two 256 KiB chunk boundaries and ends in a partial block at every block size. */
    static final int IMAGE_BYTES = 2 * ChunkCache.CHUNK_BYTES + 12_345;

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private byte[] image;
    private Cid cid;
    private PublishedRelease published;
    private OneRolloutUpdates updates;
    private CoapTransport transport;
    private CoapEndpoint rawEndpoint;
    private CoapEndpoint endpoint;
    private CoapClient raw;
    private CoapClient client;
    private final SigningKey deviceKey = SigningKey.generate(KeyAlgorithm.P256);

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        image = SeededContent.bytes(42, IMAGE_BYTES);
        StoredObject stored = store.put(new ByteArrayInputStream(image));
        cid = stored.cid();
        published = new PublishedRelease(image, cid, 7);
        updates = new OneRolloutUpdates(published);
        updates.register("dev-1", deviceKey.did());
        transport = serve(Map.of());
        rawEndpoint = TestServer.clientEndpoint(false);
        endpoint = TestServer.clientEndpoint(true);
        raw = new CoapClient();
        raw.setEndpoint(rawEndpoint);
        raw.setTimeout(5000L);
        client = new CoapClient();
        client.setEndpoint(endpoint);
        client.setTimeout(5000L);
    }

    private CoapTransport serve(Map<String, Object> config) {
        CoapTransport t = new CoapTransport(TestServer.config(config), updates);
        t.bindStore(store);
        t.bindReleases(TestServer.releases(published.release));
        return t;
    }

    @AfterEach
    void stop() {
        raw.shutdown();
        client.shutdown();
        rawEndpoint.destroy();
        endpoint.destroy();
        transport.close();
        store.close();
    }

    private String uri(CoapTransport t, String path) {
        InetSocketAddress a = t.address();
        return "coap://127.0.0.1:" + a.getPort() + path;
    }

    private String uri(String path) {
        return uri(transport, path);
    }

    private Response block(CoapTransport t, Cid image, int szx, int num) throws Exception {
        Request get = Request.newGet();
        get.setURI(uri(t, "/fw/" + image));
        get.getOptions().setBlock2(szx, false, num);
        return TestServer.send(raw, get);
    }

    /** Downloads the image block by block at one size, from block {@code from} on, appending to {@code out}. */
    private void download(CoapTransport t, int szx, int from, ByteArrayOutputStream out) throws Exception {
        byte[] etag = null;
        for (int num = from;; num++) {
            Response r = block(t, cid, szx, num);
            assertEquals(ResponseCode.CONTENT, r.getCode(), () -> r.getPayloadString());
            BlockOption b2 = r.getOptions().getBlock2();
            assertEquals(szx, b2.getSzx());
            assertEquals(num, b2.getNum());
            assertEquals(MediaTypeRegistry.APPLICATION_OCTET_STREAM, r.getOptions().getContentFormat());
            byte[] tag = r.getOptions().getETags().get(0);
            if (etag != null) {
                assertArrayEquals(etag, tag, "one ETag for every block of an image");
            }
            etag = tag;
            out.write(r.getPayload());
            if (!b2.isM()) {
                assertTrue(r.getPayloadSize() <= BlockOption.szx2Size(szx));
                return;
            }
            assertEquals(BlockOption.szx2Size(szx), r.getPayloadSize());
        }
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    @ParameterizedTest(name = "SZX {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6})
    void aBlockWiseDownloadAtEveryBlockSizeReassemblesTheImage(int szx) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        download(transport, szx, 0, out);
        assertArrayEquals(sha256(image), sha256(out.toByteArray()));
        assertEquals(IMAGE_BYTES, updates.served(published.release.id()));
        // three chunks, each read from the store once however small the blocks
        assertEquals(3, transport.storeReads());
    }

    @Test
    void aDownloadResumesFromAnyBlockAtAnySize() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // 300 blocks of 1024 bytes, then the device reboots and resumes with 64-byte blocks at the same offset
        for (int num = 0; num < 300; num++) {
            out.write(block(transport, cid, 6, num).getPayload());
        }
        download(transport, 2, 300 * 1024 / 64, out);
        assertArrayEquals(sha256(image), sha256(out.toByteArray()));

        // a block in the middle, out of order, is the image's bytes at that offset
        Response r = block(transport, cid, 4, 1500);
        assertArrayEquals(java.util.Arrays.copyOfRange(image, 1500 * 256, 1501 * 256), r.getPayload());
    }

    @Test
    void aDeviceAskingForLargerBlocksThanAllowedGetsTheLargestAllowedAtTheSameOffset() throws Exception {
        CoapTransport small = serve(Map.of("max_block_size", 256));
        try {
            Response r = block(small, cid, 6, 3);
            assertEquals(ResponseCode.CONTENT, r.getCode());
            assertEquals(4, r.getOptions().getBlock2().getSzx());
            assertEquals(12, r.getOptions().getBlock2().getNum());
            assertArrayEquals(java.util.Arrays.copyOfRange(image, 3072, 3072 + 256), r.getPayload());
        } finally {
            small.close();
        }
    }

    @Test
    void aGetWithoutBlockOptionGetsTheFirstBlockAndTheSize() throws Exception {
        Request get = Request.newGet();
        get.setURI(uri("/fw/" + cid));
        Response r = TestServer.send(raw, get);
        assertEquals(ResponseCode.CONTENT, r.getCode());
        assertEquals(new BlockOption(6, true, 0), r.getOptions().getBlock2());
        assertEquals(IMAGE_BYTES, r.getOptions().getSize2());
        assertArrayEquals(java.util.Arrays.copyOf(image, 1024), r.getPayload());
        // the same image by its CIDv1 text
        Response v1 = block(transport, cid.toV1(), 6, 1);
        assertArrayEquals(java.util.Arrays.copyOfRange(image, 1024, 2048), v1.getPayload());
    }

    @Test
    void aCheckAnswersWithAnOfferTheDeviceVerifiesAndAnUnchangedAnswerWith203() throws Exception {
        updates.running = true;
        Response first = TestServer.send(client, Request.newGet().setURI(uri("/check/dev-1?seq=3")));
        assertEquals(ResponseCode.CONTENT, first.getCode(), first.getPayloadString());
        assertEquals(MediaTypeRegistry.APPLICATION_CBOR, first.getOptions().getContentFormat());
        assertTrue(first.getPayloadSize() > 1024, "an offer travels block-wise");
        DeviceAnswer.Offer offer = assertInstanceOf(DeviceAnswer.Offer.class, UpdateAnswers.decode(first.getPayload()));
        OfferVerifier verifier = new OfferVerifier(published.logKey.did(), did -> did.equals(published.vendorKey.did())
                ? Optional.of(new TrustedKey(did, "acme", Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null, null, 0))
                : Optional.empty());
        assertEquals(cid, verifier.verify(offer,
                Expectations.none().deviceClass(PublishedRelease.DEVICE_CLASS).installedSequence(3)).manifest().cid());
        byte[] etag = first.getOptions().getETags().get(0);
        assertArrayEquals(published.offer(OneRolloutUpdates.ROLLOUT).tag(), etag);
        VerificationKey statementKey = VerificationKey.fromDid(updates.statementKey());
        AnswerStatements.check(UpdateAnswers.decodeAnswer(first.getPayload()).statement(), statementKey, "dev-1",
                new byte[0], offer, Instant.now());

        // a check with a nonce gets a statement naming it, and the whole answer even with the current ETag
        Request withNonce = Request.newGet().setURI(uri("/check/dev-1?seq=3&nonce=00112233445566778899aabbccddeeff"));
        withNonce.getOptions().addETag(etag);
        Response fresh = TestServer.send(client, withNonce);
        assertEquals(ResponseCode.CONTENT, fresh.getCode());
        UpdateAnswers.Decoded vouched = UpdateAnswers.decodeAnswer(fresh.getPayload());
        AnswerStatements.check(vouched.statement(), statementKey, "dev-1",
                java.util.HexFormat.of().parseHex("00112233445566778899aabbccddeeff"), vouched.answer(),
                Instant.now());

        Request again = Request.newGet().setURI(uri("/check/dev-1?seq=3"));
        again.getOptions().addETag(etag);
        Response valid = TestServer.send(client, again);
        assertEquals(ResponseCode.VALID, valid.getCode());
        assertEquals(0, valid.getPayloadSize());
        assertArrayEquals(etag, valid.getOptions().getETags().get(0));

        // the rollout stops: the same ETag now gets the new answer, with its retry-after as Max-Age
        updates.running = false;
        Request stale = Request.newGet().setURI(uri("/check/dev-1?seq=3"));
        stale.getOptions().addETag(etag);
        Response none = TestServer.send(client, stale);
        assertEquals(ResponseCode.CONTENT, none.getCode());
        DeviceAnswer.None answer = assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(none.getPayload()));
        assertEquals("no-rollout", answer.reason());
        assertEquals(15 * 60, none.getOptions().getMaxAge());
    }

    @Test
    void observersOfARolloutChangeAreNotifiedAndOthersAreLeftAlone() throws Exception {
        SigningKey otherKey = SigningKey.generate(KeyAlgorithm.ED25519);
        updates.register("dev-2", otherKey.did());
        BlockingQueue<CoapResponse> dev1 = new LinkedBlockingQueue<>();
        BlockingQueue<CoapResponse> dev2 = new LinkedBlockingQueue<>();
        CoapObserveRelation r1 = client.observe(Request.newGet().setURI(uri("/check/dev-1?seq=3")).setObserve(),
                collect(dev1));
        // dev-2 already runs the release's sequence: no rollout of it can change its answer
        CoapObserveRelation r2 = client.observe(Request.newGet().setURI(uri("/check/dev-2?seq=7")).setObserve(),
                collect(dev2));
        CoapResponse initial1 = dev1.poll(5, TimeUnit.SECONDS);
        assertNotNull(initial1);
        assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(initial1.getPayload()));
        assertNotNull(dev2.poll(5, TimeUnit.SECONDS));
        awaitObservers(2);

        updates.running = true;
        transport.answersChanged(OneRolloutUpdates.ROLLOUT);
        CoapResponse notified = dev1.poll(5, TimeUnit.SECONDS);
        assertNotNull(notified, "dev-1 was told of the rollout");
        assertTrue(notified.getOptions().hasObserve());
        DeviceAnswer.Offer offer = assertInstanceOf(DeviceAnswer.Offer.class,
                UpdateAnswers.decode(notified.getPayload()));
        assertEquals(OneRolloutUpdates.ROLLOUT, offer.rolloutId());
        assertNull(dev2.poll(1, TimeUnit.SECONDS), "dev-2's answer did not change: no notification");

        // the rollout is paused: dev-1, offered by it, hears of it
        updates.running = false;
        transport.answersChanged(OneRolloutUpdates.ROLLOUT);
        CoapResponse paused = dev1.poll(5, TimeUnit.SECONDS);
        assertNotNull(paused);
        assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(paused.getPayload()));

        r1.proactiveCancel();
        r2.proactiveCancel();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (transport.observers() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, transport.observers(), "cancelled observations are dropped");
    }

    @Test
    void aDeviceHoldsOneObservationTheNewest() throws Exception {
        // the same device observes again from another port (a NAT rebinding, a restart), then three more times from
        // the first: the server keeps one relation, and notifies only the newest
        var second = TestServer.clientEndpoint(true);
        CoapClient other = new CoapClient();
        other.setEndpoint(second);
        other.setTimeout(5000L);
        try {
            BlockingQueue<CoapResponse> old = new LinkedBlockingQueue<>();
            BlockingQueue<CoapResponse> newest = new LinkedBlockingQueue<>();
            client.observe(Request.newGet().setURI(uri("/check/dev-1?seq=3")).setObserve(), collect(old));
            assertNotNull(old.poll(5, TimeUnit.SECONDS));
            awaitObservers(1);
            for (int i = 0; i < 3; i++) {
                BlockingQueue<CoapResponse> again = new LinkedBlockingQueue<>();
                client.observe(Request.newGet().setURI(uri("/check/dev-1?seq=3")).setObserve(), collect(again));
                assertNotNull(again.poll(5, TimeUnit.SECONDS));
            }
            other.observe(Request.newGet().setURI(uri("/check/dev-1?seq=3")).setObserve(), collect(newest));
            assertNotNull(newest.poll(5, TimeUnit.SECONDS));
            awaitObservers(1);
            old.clear();

            updates.running = true;
            transport.answersChanged(OneRolloutUpdates.ROLLOUT);
            CoapResponse notified = newest.poll(5, TimeUnit.SECONDS);
            assertNotNull(notified, "the newest observation is told of the rollout");
            assertInstanceOf(DeviceAnswer.Offer.class, UpdateAnswers.decode(notified.getPayload()));
            assertNull(old.poll(1, TimeUnit.SECONDS), "the replaced observation is not");
            assertEquals(1, transport.observers());
        } finally {
            other.shutdown();
            second.destroy();
        }
    }

    private void awaitObservers(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (transport.observers() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(n, transport.observers());
    }

    private static CoapHandler collect(BlockingQueue<CoapResponse> queue) {
        return new CoapHandler() {
            @Override
            public void onLoad(CoapResponse response) {
                queue.add(response);
            }

            @Override
            public void onError() {
            }
        };
    }

    private Response post(String path, byte[] payload) throws Exception {
        Request post = Request.newPost().setURI(uri(path));
        post.setPayload(payload);
        return TestServer.send(client, post);
    }

    private byte[] report(SigningKey key, long counter, DeviceState state) {
        return DeviceReports.sign(new DeviceReport("dev-1", OneRolloutUpdates.ROLLOUT, published.release.id(), state,
                null, "1.7.0", 7, Instant.now(), counter), key);
    }

    @Test
    void reportsAreRecordedOnceAndBadOnesAreRefusedWithTheirReason() throws Exception {
        byte[] installed = report(deviceKey, 5, DeviceState.INSTALLED);
        Response ok = post("/report", installed);
        assertEquals(ResponseCode.CHANGED, ok.getCode(), ok.getPayloadString());
        assertEquals(Map.of("index", 100L), Cbor.decode(ok.getPayload()));
        Response resent = post("/report", installed);
        assertEquals(ResponseCode.CHANGED, resent.getCode());
        assertEquals(Map.of("index", -1L), Cbor.decode(resent.getPayload()));

        assertRefused(ResponseCode.CONFLICT, "not above", post("/report", report(deviceKey, 4, DeviceState.FAILED)));
        assertRefused(ResponseCode.FORBIDDEN, "",
                post("/report", report(SigningKey.generate(KeyAlgorithm.P256), 9, DeviceState.INSTALLED)));
        assertRefused(ResponseCode.BAD_REQUEST, "", post("/report", "not a report".getBytes(StandardCharsets.UTF_8)));
        assertRefused(ResponseCode.BAD_REQUEST, "empty", post("/report", new byte[0]));
        assertRefused(ResponseCode.REQUEST_ENTITY_TOO_LARGE, "5000 bytes", post("/report", new byte[5000]));
        byte[] stranger = DeviceReports.sign(new DeviceReport("dev-9", null, published.release.id(),
                DeviceState.DOWNLOADING, null, "1.0.0", 1, Instant.now(), 1), deviceKey);
        assertRefused(ResponseCode.NOT_FOUND, "dev-9", post("/report", stranger));
        assertRefused(ResponseCode.METHOD_NOT_ALLOWED, "POST", TestServer.send(client,
                Request.newGet().setURI(uri("/report"))));
        // and the recorded report is still the only one
        assertEquals(Map.of("index", 101L), Cbor.decode(post("/report", report(deviceKey, 6,
                DeviceState.INSTALLED)).getPayload()));
    }

    private Enrollment enrollment(String id, SigningKey key) {
        return new Enrollment(id, key.did(), "acme", PublishedRelease.DEVICE_CLASS, null, Set.of("beta"), "eu-west",
                "1.0.0", 1, Instant.now());
    }

    @Test
    void enrollmentIsRefusedUnlessAutoRegistrationIsOn() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] signed = Enrollments.sign(enrollment("dev-new", key), key);
        assertRefused(ResponseCode.FORBIDDEN, "auto.register", post("/enroll", signed));
        assertFalse(updates.isRegistered("dev-new"));
        assertRefused(ResponseCode.NOT_FOUND, "dev-new",
                TestServer.send(client, Request.newGet().setURI(uri("/check/dev-new?seq=1"))));

        transport.close();
        transport = serve(Map.of("auto_register", true));
        Response created = post("/enroll", signed);
        assertEquals(ResponseCode.CREATED, created.getCode(), created.getPayloadString());
        assertEquals("check/dev-new", created.getOptions().getLocationPathString());
        assertEquals(ResponseCode.CONTENT,
                TestServer.send(client, Request.newGet().setURI(uri("/check/dev-new?seq=1"))).getCode());

        SigningKey thief = SigningKey.generate(KeyAlgorithm.ED25519);
        assertRefused(ResponseCode.CONFLICT, "another key",
                post("/enroll", Enrollments.sign(enrollment("dev-new", thief), thief)));
        // the enrollment of another device's key, signed by the thief: its COSE kid is not the key it enrolls
        SigningKey victim = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] claimed = org.updraft.core.cose.CoseSign1.decode(Enrollments.sign(enrollment("dev-stolen", victim),
                victim), Enrollments.CONTENT_TYPE).payload();
        assertRefused(ResponseCode.FORBIDDEN, "signed by " + thief.did(), post("/enroll",
                org.updraft.core.cose.CoseSign1.sign(claimed, Enrollments.CONTENT_TYPE, thief)));
        assertFalse(updates.isRegistered("dev-stolen"));
        assertRefused(ResponseCode.BAD_REQUEST, "", post("/enroll", new byte[] {(byte) 0xd2, 0x01}));
        // an enrollment larger than one datagram arrives block-wise (Block1) and is still checked whole
        byte[] padded = new byte[3000];
        new Random(3).nextBytes(padded);
        assertRefused(ResponseCode.BAD_REQUEST, "", post("/enroll", padded));
    }

    @Test
    void theLogAnswersConsistencyProofsADeviceVerifiesAndRefusesSizesItDoesNotHave() throws Exception {
        long size = published.tree.size();
        for (long first = 0; first <= size; first++) {
            Response answer = get("/log/consistency?first=" + first + "&second=" + size);
            assertEquals(ResponseCode.CONTENT, answer.getCode(), answer.getPayloadString());
            assertEquals(MediaTypeRegistry.APPLICATION_CBOR, answer.getOptions().getContentFormat());
            ConsistencyProof proof = UpdateAnswers.decodeConsistency(answer.getPayload());
            assertEquals(first, proof.firstSize());
            assertEquals(size, proof.secondSize());
            MerkleTree.verifyConsistency(proof, MerkleTree.rootHash(published.tree, first),
                    published.checkpoint.rootHash());
        }
        assertRefused(ResponseCode.NOT_FOUND, "log of " + size, get("/log/consistency?first=3&second=" + (size + 1)));
        assertRefused(ResponseCode.NOT_FOUND, "from 5 to 4", get("/log/consistency?first=5&second=4"));
        assertRefused(ResponseCode.BAD_REQUEST, "missing ?second", get("/log/consistency?first=1"));
        assertRefused(ResponseCode.BAD_REQUEST, "given twice", get("/log/consistency?first=1&first=2&second=3"));
        assertRefused(ResponseCode.BAD_REQUEST, "unsigned decimal", get("/log/consistency?first=-1&second=3"));
        assertRefused(ResponseCode.BAD_REQUEST, "unknown query", get("/log/consistency?first=1&second=3&x=1"));
        assertRefused(ResponseCode.NOT_FOUND, "/log/consistency", get("/log"));
        Request post = Request.newPost().setURI(uri("/log/consistency?first=1&second=3"));
        post.setPayload("x");
        assertRefused(ResponseCode.METHOD_NOT_ALLOWED, "GET", TestServer.send(client, post));
        updates.down = true;
        Response unavailable = get("/log/consistency?first=1&second=3");
        assertRefused(ResponseCode.SERVICE_UNAVAILABLE, "not reachable", unavailable);
        updates.down = false;
    }

    @Test
    void malformedRequestsGet4xxWithADiagnosticAndTheServerKeepsServing() throws Exception {
        assertRefused(ResponseCode.NOT_FOUND, "/nope", get("/nope"));
        assertRefused(ResponseCode.NOT_FOUND, "/fw/" + cid + "/extra", get("/fw/" + cid + "/extra"));
        assertRefused(ResponseCode.BAD_REQUEST, "name the device", get("/check"));
        assertRefused(ResponseCode.BAD_REQUEST, "device id", get("/check/-bad%20id"));
        assertRefused(ResponseCode.BAD_REQUEST, "missing ?seq", get("/check/dev-1"));
        assertRefused(ResponseCode.BAD_REQUEST, "unsigned decimal", get("/check/dev-1?seq=-1"));
        assertRefused(ResponseCode.BAD_REQUEST, "2^63", get("/check/dev-1?seq=9999999999999999999"));
        assertRefused(ResponseCode.BAD_REQUEST, "only seq and nonce", get("/check/dev-1?seq=1&debug=1"));
        assertRefused(ResponseCode.BAD_REQUEST, "hex digits", get("/check/dev-1?seq=1&nonce=zz"));
        assertRefused(ResponseCode.BAD_REQUEST, "1 to 32 bytes", get("/check/dev-1?seq=1&nonce=" + "ab".repeat(33)));
        assertRefused(ResponseCode.BAD_REQUEST, "1 to 32 bytes", get("/check/dev-1?seq=1&nonce=abc"));
        assertRefused(ResponseCode.BAD_REQUEST, "given twice", get("/check/dev-1?seq=1&nonce=ab&nonce=cd"));
        assertRefused(ResponseCode.NOT_FOUND, "dev-404", get("/check/dev-404?seq=1"));
        assertRefused(ResponseCode.NOT_FOUND, "name the image", get("/fw"));
        assertRefused(ResponseCode.BAD_REQUEST, "not a CID", get("/fw/not-a-cid"));
        Cid unknown = Cid.v0(sha256(new byte[] {1, 2, 3}));
        assertRefused(ResponseCode.NOT_FOUND, unknown.toString(), get("/fw/" + unknown));
        assertRefused(ResponseCode.BAD_OPTION, "past the end", block(transport, cid, 6, IMAGE_BYTES / 1024 + 1));
        assertRefused(ResponseCode.BAD_REQUEST, "BERT", bertBlock());
        Request put = Request.newPut().setURI(uri("/check/dev-1?seq=1"));
        put.setPayload("x");
        assertRefused(ResponseCode.METHOD_NOT_ALLOWED, "GET", TestServer.send(client, put));

        // datagrams that are not CoAP at all
        try (DatagramSocket socket = new DatagramSocket()) {
            byte[] junk = new byte[300];
            new Random(7).nextBytes(junk);
            for (int i = 0; i < 20; i++) {
                junk[0] = (byte) i;
                socket.send(new DatagramPacket(junk, junk.length, transport.address()));
            }
        }

        updates.down = true;
        Response unavailable = get("/check/dev-1?seq=1");
        assertRefused(ResponseCode.SERVICE_UNAVAILABLE, "not reachable", unavailable);
        assertEquals(30, unavailable.getOptions().getMaxAge());
        updates.down = false;

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        download(transport, 6, 0, out);
        assertArrayEquals(sha256(image), sha256(out.toByteArray()));
    }

    @Test
    void aRetransmittedCheckIsAnsweredAgainWithoutAskingTwiceAndOnlyRecentRequestsAreKept() throws Exception {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5000);
            byte[] first = rawCheck(socket, 0x1000);
            int asked = updates.checks.get();
            // the same datagram again, as a device whose ACK was lost sends it: the kept answer, not a new check
            assertArrayEquals(first, rawCheck(socket, 0x1000));
            assertEquals(asked, updates.checks.get());
            // more requests than are kept per device: the oldest is forgotten and asked again
            for (int mid = 0x1001; mid <= 0x1000 + CoapTransport.DUPLICATES_KEPT_PER_DEVICE + 8; mid++) {
                rawCheck(socket, mid);
            }
            asked = updates.checks.get();
            rawCheck(socket, 0x1000);
            assertEquals(asked + 1, updates.checks.get(), "a request older than the kept ones is answered anew");
        }
    }

    /** {@code CON GET /check/dev-1?seq=1} with the given message id; the answer's bytes. */
    private byte[] rawCheck(DatagramSocket socket, int mid) throws Exception {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.write(new byte[] {0x40, 0x01, (byte) (mid >> 8), (byte) mid}); // CON GET, no token
        m.write(0xB5); // Uri-Path (11), 5 bytes
        m.write("check".getBytes(StandardCharsets.US_ASCII));
        m.write(0x05); // Uri-Path again
        m.write("dev-1".getBytes(StandardCharsets.US_ASCII));
        m.write(0x45); // Uri-Query (15 = 11 + 4), 5 bytes
        m.write("seq=1".getBytes(StandardCharsets.US_ASCII));
        socket.send(new DatagramPacket(m.toByteArray(), m.size(), transport.address()));
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        socket.receive(in);
        return java.util.Arrays.copyOf(in.getData(), in.getLength());
    }

    /** Californium's client refuses to send SZX 7 over UDP, so this request is written by hand. */
    private Response bertBlock() throws Exception {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.write(new byte[] {0x40, 0x01, 0x12, 0x34}); // CON GET, MID 0x1234, no token
        m.write(0xB2); // Uri-Path (11), 2 bytes
        m.write("fw".getBytes(StandardCharsets.US_ASCII));
        byte[] name = cid.toString().getBytes(StandardCharsets.US_ASCII);
        m.write(0x0D); // Uri-Path again, length in the next byte + 13
        m.write(name.length - 13);
        m.write(name);
        m.write(0xC1); // Block2 (23 = 11 + 12), 1 byte
        m.write((1 << 4) | 7); // num 1, more 0, SZX 7
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5000);
            socket.send(new DatagramPacket(m.toByteArray(), m.size(), transport.address()));
            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            socket.receive(in);
            return (Response) new UdpDataParser().parseMessage(java.util.Arrays.copyOf(in.getData(), in.getLength()));
        }
    }

    private Response get(String path) throws Exception {
        return TestServer.send(raw, Request.newGet().setURI(uri(path)));
    }

    private static void assertRefused(ResponseCode code, String mention, Response response) {
        String diagnostic = response.getPayloadString();
        assertEquals(code, response.getCode(), diagnostic);
        assertFalse(diagnostic.isBlank(), "a diagnostic payload");
        assertFalse(diagnostic.contains("\n"), "one line: " + diagnostic);
        assertTrue(diagnostic.contains(mention), diagnostic + " should mention " + mention);
    }

    @Test
    void aStoreSwapAnswers503WhileNoStoreIsBoundAndServingResumesWithTheNextStore() throws Exception {
        CoapTransport uncached = serve(Map.of("cached_chunks", 0));
        try {
            assertEquals(ResponseCode.CONTENT, block(uncached, cid, 6, 0).getCode());
            uncached.unbindStore(store);
            Response during = block(uncached, cid, 6, 1);
            assertRefused(ResponseCode.SERVICE_UNAVAILABLE, "no firmware store", during);
            assertEquals(30, during.getOptions().getMaxAge());

            LocalFirmwareStore next = TestServer.store(dir.resolve("next"));
            try {
                assertEquals(cid, next.put(new ByteArrayInputStream(image)).cid());
                uncached.bindStore(next);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(block(uncached, cid, 6, 0).getPayload());
                download(uncached, 6, 1, out);
                assertArrayEquals(sha256(image), sha256(out.toByteArray()));
                uncached.unbindStore(next);
            } finally {
                next.close();
            }
        } finally {
            uncached.close();
        }
    }

    @Test
    void theServerStartsAndStopsAgainOnTheSamePort() throws Exception {
        int port = transport.address().getPort();
        transport.close();
        for (int i = 0; i < 3; i++) {
            transport = serve(Map.of("port", port));
            assertEquals(port, transport.address().getPort());
            assertEquals(ResponseCode.CONTENT, get("/").getCode());
            transport.close();
        }
        transport = serve(Map.of("port", port));
        CoapTransport second = serve(Map.of("port", port));
        try {
            assertFalse(second.isRunning(), "two servers on one port");
            assertTrue(second.status().startsWith("failed to bind udp/127.0.0.1:" + port + " "), second.status());
        } finally {
            second.close();
        }
        assertEquals(ResponseCode.CONTENT, get("/").getCode(), "the first server was not disturbed");
        assertThrows(IllegalArgumentException.class, () -> serve(Map.of("max_block_size", 100)));
        assertThrows(IllegalArgumentException.class, () -> serve(Map.of("bind_address", "no.such.host.invalid")));
    }

    @Test
    void theStatusNamesTheEndpointTheObserversAndTheRequests() throws Exception {
        int port = transport.address().getPort();
        assertEquals("coap", transport.kind());
        assertEquals("listening on udp/127.0.0.1:" + port + "; 0 devices observing /check; 0 requests",
                transport.status());

        CoapObserveRelation relation = client.observe(
                Request.newGet().setURI(uri("/check/dev-1?seq=3")).setObserve(), collect(new LinkedBlockingQueue<>()));
        awaitObservers(1);
        assertEquals(ResponseCode.CONTENT, get("/").getCode());
        assertEquals("listening on udp/127.0.0.1:" + port + "; 1 device observing /check; 2 requests",
                transport.status());
        relation.proactiveCancel();
    }

    @Test
    void aPortAlreadyInUseGivesAFailedStatusNamingItNotACrash() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            int port = taken.getLocalPort();
            CoapTransport blocked = serve(Map.of("port", port));
            try {
                assertFalse(blocked.isRunning());
                assertEquals("coap", blocked.kind());
                String status = blocked.status();
                assertTrue(status.startsWith("failed to bind udp/127.0.0.1:" + port + " ("), status);
                assertTrue(status.contains("Address already in use"), status);
                assertTrue(status.contains("org.updraft.transport.coap"), "says where to set the port: " + status);
                IllegalStateException e = assertThrows(IllegalStateException.class, blocked::address);
                assertTrue(e.getMessage().contains(status), e.getMessage());
                blocked.answersChanged(OneRolloutUpdates.ROLLOUT); // a rollout change does not fail either
            } finally {
                blocked.close();
            }
            assertFalse(blocked.isRunning());
        }
    }
}
