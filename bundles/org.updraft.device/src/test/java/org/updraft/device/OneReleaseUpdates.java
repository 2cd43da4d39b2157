package org.updraft.device;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.release.Release;
import org.updraft.api.store.StoredObject;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.SignedManifest;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.core.update.AnswerStatement;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.testing.LookupOnlyRegistry;
import org.updraft.testing.platform.DeviceApi;
import org.updraft.testing.platform.MqttDeviceApi;
import org.updraft.testing.platform.TestPlatform;

/**
 * The update service of the agent's tests, on a {@link TestPlatform} of real components (file ledger, local firmware
 * store, release service, the CoAP device API serving this service): one release signed by a manufacturer key and
 * published on the ledger, offered to every registered device running an older sequence. Deliberately not the
 * rollout bundle's update service: it can falsify an offer ({@link Tampering}), which the real one never does, and
 * records every report it verified. Public for the demo's fleet simulator tests (this module's test-jar).
 */
public final class OneReleaseUpdates implements UpdateService, AutoCloseable {

    /** How the offer is falsified, to see the device refuse it. */
    enum Tampering {
        NONE,
        /** One hash of the inclusion path is replaced: the proof does not lead to the checkpoint's root. */
        ALTERED_PATH,
        /** The release event is signed and well formed but was never appended: the proof is another event's. */
        NOT_ON_LEDGER
    }

    public static final String VENDOR = "acme";
    public static final String CLASS = "thermo-v2";
    static final String ROLLOUT = "rollout-1";
    /** Where the platform says the release is on chain (the agent keeps it for auditors, without checking it). */
    static final ReleaseAnchor ANCHOR = new ReleaseAnchor(1337, "0x" + "ab".repeat(20), "0x" + "cd".repeat(32), 12,
            3);

    final SigningKey manufacturer = SigningKey.generate(KeyAlgorithm.ED25519);
    private final TestPlatform node;
    private final DeviceApi deviceApi;
    public final FileLedger ledger;
    final byte[] image;
    final Release release;
    final long releaseIndex;
    private final LedgerEvent unrecordedEvent;

    private final Map<String, String> devices = new ConcurrentHashMap<>();
    private final Map<String, Long> lastCounter = new ConcurrentHashMap<>();
    private final Map<String, byte[]> lastReportBytes = new ConcurrentHashMap<>();
    public final List<DeviceReport> reports = Collections.synchronizedList(new ArrayList<>());
    public final AtomicLong bytesServed = new AtomicLong();
    /** The platform's statement key, which devices provisioned with its did:key check answers with. */
    final SigningKey statementKey = SigningKey.generate(KeyAlgorithm.ED25519);
    /** Signs statements: the statement key, or another to falsify them. */
    volatile SigningKey statementSigner = statementKey;
    /** What the statements say, from the honest one; {@code null} for none at all. */
    volatile UnaryOperator<AnswerStatement> statements = UnaryOperator.identity();
    /** Consistency proofs devices asked for. */
    final AtomicLong consistencyRequests = new AtomicLong();
    final AtomicLong retransmittedReports = new AtomicLong();
    volatile Tampering tampering = Tampering.NONE;
    /** A delta offered with the release, or null. */
    volatile org.updraft.api.delta.Delta delta;
    /** Ledger indices of the trust changes offers carry ({@link #rotatedFrom}). */
    final List<Long> trustChanges = new CopyOnWriteArrayList<>();
    /** While set, nothing is offered (as before a rollout starts): checks are answered {@code no-rollout}. */
    volatile boolean held;
    private final List<MqttDeviceApi> mqttApis = new CopyOnWriteArrayList<>();
    /** The device API's settings, which {@link #serveAnotherNode} serves with too. */
    private final Map<String, ?> apiSettings;
    private final List<DeviceApi> otherNodes = new CopyOnWriteArrayList<>();

    /**
     * @param autoRegister whether the device API enrolls devices it does not know ({@code auto.register})
     */
    public OneReleaseUpdates(Path dir, int imageSize, boolean autoRegister) throws Exception {
        this(dir, randomImage(imageSize), autoRegister);
    }

    private static byte[] randomImage(int size) {
        byte[] image = new byte[size];
        new Random(size).nextBytes(image);
        return image;
    }

    /**
     * @param image the release's image, e.g. an MCUboot image or a .swu for a device of that family
     * @param autoRegister whether the device API enrolls devices it does not know ({@code auto.register})
     */
    public OneReleaseUpdates(Path dir, byte[] image, boolean autoRegister) throws Exception {
        this(dir, image, autoRegister, false);
    }

    /**
     * @param dtls whether the device API serves CoAP over DTLS too (on a free port, its key in {@code dir}), each
     *        peer bound to the key {@link #register} gave its device id
     */
    public OneReleaseUpdates(Path dir, int imageSize, boolean autoRegister, boolean dtls) throws Exception {
        this(dir, randomImage(imageSize), autoRegister, dtls);
    }

    private OneReleaseUpdates(Path dir, byte[] image, boolean autoRegister, boolean dtls) throws Exception {
        node = TestPlatform.builder(dir).start();
        try {
            ledger = node.log();
            this.image = image.clone();
            StoredObject stored = node.store().put(new ByteArrayInputStream(image));
            byte[] sha = ImageFacts.newDigest().digest(image);
            // a few events before and after, so the proof has a real path
            for (int i = 0; i < 3; i++) {
                ledger.append(filler(i));
            }
            Manifest m = new Manifest(VENDOR, CLASS, null, "2.0.0", 2, image.length, sha, stored.cid(), null,
                    Instant.now(), manufacturer.did());
            byte[] manifest = ManifestCodec.sign(m, manufacturer);
            SignedManifest signed = ManifestCodec.parse(manifest);
            LedgerEvent published = new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.now(), manufacturer.did(),
                    ReleaseEvents.published(signed), null);
            AppendReceipt receipt = ledger.append(published);
            releaseIndex = receipt.index();
            for (int i = 3; i < 6; i++) {
                ledger.append(filler(i));
            }
            // the release service's record of it, replayed from the ledger
            release = node.releases().find(m.releaseId()).orElseThrow();
            // the same release, as a platform that hides it from the ledger would offer it
            unrecordedEvent = new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.now().plusSeconds(1),
                    manufacturer.did(), ReleaseEvents.published(signed), null);
            apiSettings = dtls
                    ? Map.of("auto_register", autoRegister, "dtls_port", 0, "dtls_key_file",
                            dir.resolve("dtls-key.pem").toString())
                    : Map.of("auto_register", autoRegister);
            deviceApi = DeviceApi.serve(this, node.store(), node.releases(), apiSettings);
            deviceApi.transport().bindRegistry(registeredKeys());
        } catch (Exception | Error e) {
            node.close();
            throw e;
        }
    }

    private static LedgerEvent filler(int i) {
        return new LedgerEvent("test.filler", Instant.now(), "did:key:test", Cbor.encode(Map.of("i", (long) i)), null);
    }

    /** Stores {@code patch} and offers it with the release as a bsdiff delta from {@code base}. */
    void offerDelta(byte[] base, byte[] patch) throws Exception {
        StoredObject stored = node.store().put(new ByteArrayInputStream(patch));
        delta = new org.updraft.api.delta.Delta(VENDOR + "/" + CLASS + "/1", release.id(),
                ImageFacts.newDigest().digest(base), release.sha256(), "bsdiff", stored.cid(), patch.length,
                2_000_000, 0);
    }

    /**
     * Records on the ledger that {@code older} was rotated to the manufacturer's key, signed by {@code older} as
     * {@code trust-rotate} with a proof records it, and offers carry that rotation from now on.
     */
    void rotatedFrom(SigningKey older) throws Exception {
        byte[] statement = TrustEvents.rotationStatement(older.did(), manufacturer.did());
        trustChanges.add(ledger.append(new LedgerEvent(EventTypes.KEY_ROTATED, Instant.now(), older.did(), statement,
                older.sign(statement))).index());
    }

    /** What a device provisioned with {@code key} of this platform's vendor trusts. */
    static TrustLookup trusting(SigningKey key) {
        return did -> did.equals(key.did())
                ? Optional.of(new TrustedKey(did, VENDOR, Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null, null, 0))
                : Optional.empty();
    }

    /** What a device of this platform's manufacturer trusts. */
    public TrustLookup trust() {
        return did -> did.equals(manufacturer.did())
                ? Optional.of(new TrustedKey(did, VENDOR, Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null, null, 0))
                : Optional.empty();
    }

    public void register(SimulatedDevice device) {
        devices.put(device.id(), device.provisioning().did());
    }

    /** Registers a device by its id and did:key, as {@code updraft:device-add} does. */
    public void register(String deviceId, String did) {
        devices.put(deviceId, did);
    }

    /** The did:key of the manufacturer key that signed the release. */
    public String manufacturerDid() {
        return manufacturer.did();
    }

    /** While held, nothing is offered, as before a rollout starts: checks are answered {@code no-rollout}. */
    public void hold(boolean hold) {
        held = hold;
    }

    /**
     * Another node of this platform, as a cluster has them: a second CoAP device API (its own ports) serving the same
     * updates, store, releases and registered devices, over DTLS with the same key when this one serves DTLS. Closing
     * it is the node dying: its ports go silent. Closed with this platform if still open.
     */
    public DeviceApi serveAnotherNode() {
        DeviceApi api = DeviceApi.serve(this, node.store(), node.releases(), apiSettings);
        api.transport().bindRegistry(registeredKeys());
        otherNodes.add(api);
        return api;
    }

    /** The first node's device API, which a test may stop as a node that dies. */
    public DeviceApi deviceApi() {
        return deviceApi;
    }

    /** Where the device API listens. */
    public InetSocketAddress address() {
        return deviceApi.address();
    }

    /** Where the device API listens for CoAP over DTLS (when started with it). */
    public InetSocketAddress dtlsAddress() {
        return deviceApi.dtlsAddress();
    }

    /** The did:key of the device API's DTLS key, which devices trust as the server. */
    public String dtlsKey() {
        return deviceApi.transport().dtlsKey();
    }

    /** The transport's status line. */
    String transportStatus() {
        return deviceApi.transport().status();
    }

    /**
     * The registry as the transport reads it, to bind a DTLS peer to a device: the devices {@link #register} and
     * enrollment registered, with their keys.
     */
    private LookupOnlyRegistry registeredKeys() {
        return new LookupOnlyRegistry(id -> {
            String did = devices.get(id);
            return did == null ? Optional.empty() : Optional.of(new Device(id, did, VENDOR, CLASS, null, Set.of(),
                    null, "1.0.0", 1, DeviceState.IDLE, null, Instant.EPOCH));
        }, devices::size);
    }

    /**
     * Serves this service through the MQTT device API too, as a client of the broker at {@code brokerUri}, with the
     * same auto-registration; closed with this.
     */
    public MqttDeviceApi serveMqtt(String brokerUri, boolean autoRegister) throws InterruptedException {
        return serveMqtt(brokerUri, Map.of("auto.register", autoRegister));
    }

    /** The MQTT device API with these settings of org.updraft.transport.mqtt (credentials.file, say). */
    public MqttDeviceApi serveMqtt(String brokerUri, Map<String, ?> settings) throws InterruptedException {
        MqttDeviceApi api = MqttDeviceApi.serve(brokerUri, this, node.store(), node.releases(), settings);
        mqttApis.add(api);
        return api;
    }

    List<DeviceState> statesReportedBy(String deviceId) {
        synchronized (reports) {
            return reports.stream().filter(r -> r.deviceId().equals(deviceId)).map(DeviceReport::state).toList();
        }
    }

    List<DeviceReport> reportsOf(String deviceId) {
        synchronized (reports) {
            return reports.stream().filter(r -> r.deviceId().equals(deviceId)).toList();
        }
    }

    // ---- UpdateService ----

    @Override
    public UpdateAnswer check(String deviceId, long installedSequence) throws UpdateException {
        if (!devices.containsKey(deviceId)) {
            throw new UpdateException("unknown-device", "no device " + deviceId + " is registered");
        }
        try {
            if (held) {
                return withTag(new UpdateAnswer.NoUpdate("no-rollout", Duration.ofSeconds(60), new byte[8]));
            }
            if (installedSequence >= release.sequence()) {
                return withTag(new UpdateAnswer.NoUpdate("up-to-date", Duration.ofSeconds(30), new byte[8]));
            }
            Checkpoint checkpoint = ledger.checkpoint();
            byte[] event = LedgerEventCodec.encode(ledger.get(releaseIndex).event());
            InclusionProof proof = ledger.inclusionProof(releaseIndex, checkpoint.treeSize());
            switch (tampering) {
            case ALTERED_PATH: {
                List<byte[]> path = new ArrayList<>(proof.path());
                path.set(0, MerkleHash.leafHash(new byte[] {42}));
                proof = new InclusionProof(proof.leafIndex(), proof.treeSize(), path);
                break;
            }
            case NOT_ON_LEDGER:
                event = LedgerEventCodec.encode(unrecordedEvent);
                break;
            default:
            }
            List<UpdateAnswer.TrustChange> trust = new ArrayList<>();
            for (long index : trustChanges) {
                trust.add(new UpdateAnswer.TrustChange(LedgerEventCodec.encode(ledger.get(index).event()),
                        ledger.inclusionProof(index, checkpoint.treeSize())));
            }
            return withTag(new UpdateAnswer.Offer(ROLLOUT, release, event, proof, checkpoint, ANCHOR,
                    new byte[8], delta, trust));
        } catch (Exception e) {
            throw new UpdateException("unavailable", "the ledger failed: " + e.getMessage(), e);
        }
    }

    private static UpdateAnswer withTag(UpdateAnswer answer) {
        byte[] tag = UpdateAnswers.tagOf(UpdateAnswers.encode(answer));
        if (answer instanceof UpdateAnswer.Offer o) {
            return new UpdateAnswer.Offer(o.rolloutId(), o.release(), o.releaseEvent(), o.proof(), o.checkpoint(), o.anchor(),
                    tag, o.delta(), o.trustChanges());
        }
        UpdateAnswer.NoUpdate n = (UpdateAnswer.NoUpdate) answer;
        return new UpdateAnswer.NoUpdate(n.reason(), n.retryAfter(), tag);
    }

    @Override
    public synchronized ReportReceipt report(byte[] signedReport) throws UpdateException {
        SignedReport parsed;
        try {
            parsed = DeviceReports.parse(signedReport);
        } catch (UpdateFormatException e) {
            throw new UpdateException("malformed", e.getMessage());
        }
        DeviceReport r = parsed.report();
        String did = devices.get(r.deviceId());
        if (did == null) {
            throw new UpdateException("unknown-device", "no device " + r.deviceId() + " is registered");
        }
        try {
            parsed.verify(did);
        } catch (UpdateFormatException e) {
            throw new UpdateException("bad-signature", e.getMessage());
        }
        byte[] last = lastReportBytes.get(r.deviceId());
        if (last != null && java.util.Arrays.equals(last, signedReport)) {
            retransmittedReports.incrementAndGet();
            return new ReportReceipt(-1, true);
        }
        long previous = lastCounter.getOrDefault(r.deviceId(), 0L);
        if (r.counter() <= previous) {
            throw new UpdateException("stale", "report counter " + r.counter() + " is not above " + previous);
        }
        lastCounter.put(r.deviceId(), r.counter());
        lastReportBytes.put(r.deviceId(), signedReport);
        reports.add(r);
        return new ReportReceipt(reports.size(), false);
    }

    @Override
    public Device enroll(byte[] signedEnrollment) throws UpdateException {
        Enrollment e;
        try {
            e = Enrollments.verify(signedEnrollment);
        } catch (UpdateFormatException ex) {
            throw new UpdateException("malformed", ex.getMessage());
        }
        String existing = devices.putIfAbsent(e.deviceId(), e.publicKey());
        if (existing != null && !existing.equals(e.publicKey())) {
            throw new UpdateException("exists", "device " + e.deviceId() + " is registered with another key");
        }
        return new Device(e.deviceId(), e.publicKey(), e.vendor(), e.deviceClass(), e.profile(), e.tags(), e.region(),
                e.installedVersion(), e.installedSequence(), DeviceState.IDLE, null, Instant.now());
    }

    /**
     * Signs the statement about an answer as the platform does; {@link #statements} may falsify what it says
     * first, and {@link #statementSigner} sign it with another key, to see the device ignore it.
     */
    @Override
    public byte[] statement(String deviceId, UpdateAnswer answer, byte[] nonce) {
        Instant now = Instant.now();
        UpdateAnswer.Offer offer = answer instanceof UpdateAnswer.Offer o ? o : null;
        AnswerStatement honest = new AnswerStatement(deviceId, offer == null ? null : offer.rolloutId(),
                offer == null ? null : offer.release().id(), nonce, now, now.plusSeconds(600));
        AnswerStatement said = statements.apply(honest);
        return said == null ? null : AnswerStatements.sign(said, statementSigner);
    }

    @Override
    public String statementKey() {
        return statementKey.did();
    }

    @Override
    public ConsistencyProof consistency(long firstSize, long secondSize) throws UpdateException {
        consistencyRequests.incrementAndGet();
        try {
            long size = ledger.size();
            if (firstSize < 0 || firstSize > secondSize || secondSize > size) {
                throw new UpdateException("bad-range", "no consistency proof from " + firstSize + " to " + secondSize
                        + " events in a log of " + size);
            }
            return ledger.consistencyProof(firstSize, secondSize);
        } catch (LedgerException e) {
            throw new UpdateException("unavailable", "the ledger failed: " + e.getMessage(), e);
        }
    }

    /** The root of the ledger's first {@code size} events, as a checkpoint of that size showed it. */
    byte[] rootAt(long size) throws LedgerException {
        MemoryMerkleTree tree = new MemoryMerkleTree();
        for (long i = 0; i < size; i++) {
            tree.append(LedgerEventCodec.leafHash(ledger.get(i).event()));
        }
        return tree.rootHash();
    }

    @Override
    public void bytesServed(String releaseId, long bytes) {
        bytesServed.addAndGet(bytes);
    }

    @Override
    public void close() throws Exception {
        try {
            mqttApis.forEach(MqttDeviceApi::close);
            otherNodes.forEach(DeviceApi::close);
            deviceApi.close();
        } finally {
            node.close();
        }
    }
}
