package org.updraft.core.update;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.api.delta.Delta;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.log.InvalidEventException;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.manifest.SignedManifest;

/**
 * The bytes of an update check's answer, a deterministic CBOR map:
 *
 * <pre>
 * offer   {"status": "offer", "rollout": text, "release": text, "event": bytes,
 *          "proof": {"index": uint, "tree-size": uint, "path": [bytes…]}, "checkpoint": bytes,
 *          ? "anchor": {"chain": uint, "contract": text, "tx": text, "block": uint, "log-index": uint},
 *          ? "delta": {"from": text, "codec": text, "patch": text, "size": uint, "base-sha256": bytes(32),
 *                      "memory": uint},
 *          ? "trust": [{"event": bytes, "proof": {"index": uint, "tree-size": uint, "path": [bytes…]}}…]}
 * nothing {"status": "none", "reason": text, ? "retry-after": uint}          retry-after in seconds
 * </pre>
 *
 * Either may carry {@code "statement": bytes}, the platform's signed {@link AnswerStatement} that this answer is
 * for this device and request and until when ({@link AnswerStatements}); it is outside the answer's tag, which
 * names the answer's content whoever it is for.
 *
 * {@code event} is the {@code release.published} ledger event as the ledger hashes it; the signed manifest is
 * inside its payload, so it is sent once. {@code anchor}, when the ledger anchors releases on a blockchain, says
 * where this release is recorded there ({@link ReleaseAnchor}): for auditors, not checked by the device.
 * {@code delta}, when the device runs the base of a recorded patch its class accepts, offers that patch beside the
 * image (base release, codec, patch CID and size, base image SHA-256, memory applying it needs); a device may
 * ignore it and download the image. {@code trust}, when the vendor's keys were ever rotated or revoked, holds those
 * events ({@code trust.key-rotated}, {@code trust.key-revoked}, at most {@value #MAX_TRUST_CHANGES}, oldest first),
 * each proven in the same checkpoint as the release: a device provisioned with an older key follows the signed
 * rotations to the release's signer ({@link OfferVerifier}).
 * <p>
 * A device that is shown a checkpoint of another tree size than the one it verified before asks for the
 * consistency proof between the two ({@link TrustedCheckpoint}); the answer:
 *
 * <pre>
 * consistency {"first": uint, "second": uint, "path": [bytes…]}      first &lt;= second, tree sizes
 * </pre>
 */
public final class UpdateAnswers {

    /**
     * The most an answer may take: a manifest (16 KiB), its event and a proof of a 2^64-leaf tree, and
     * {@value #MAX_TRUST_CHANGES} trust events with proofs of a 2^32-leaf tree fit.
     */
    public static final int MAX_ANSWER_BYTES = 40 * 1024;
    /** The most trust events an offer carries: the rotations to the signer come first, then the revocations. */
    public static final int MAX_TRUST_CHANGES = 8;
    /** Length of an answer's tag (a CoAP ETag holds at most 8 bytes). */
    public static final int TAG_BYTES = 8;

    private static final List<String> OFFER_FIELDS = List.of("status", "rollout", "release", "event", "proof",
            "checkpoint", "anchor", "delta", "trust", "statement");
    private static final List<String> TRUST_FIELDS = List.of("event", "proof");
    private static final List<String> NONE_FIELDS = List.of("status", "reason", "retry-after", "statement");
    private static final List<String> CONSISTENCY_FIELDS = List.of("first", "second", "path");
    /** More hashes than a consistency proof between two trees of up to 2^64 leaves can have. */
    private static final int MAX_PROOF_HASHES = 130;
    private static final List<String> PROOF_FIELDS = List.of("index", "tree-size", "path");
    private static final List<String> ANCHOR_FIELDS = List.of("chain", "contract", "tx", "block", "log-index");
    private static final List<String> DELTA_FIELDS = List.of("from", "codec", "patch", "size", "base-sha256",
            "memory");

    private UpdateAnswers() {
    }

    /** An answer as a device decodes it, with the platform's signed statement about it, or {@code null}. */
    public record Decoded(DeviceAnswer answer, byte[] statement) {
    }

    /** Encodes an answer for the device. */
    public static byte[] encode(UpdateAnswer answer) {
        return encode(answer, null);
    }

    /**
     * Encodes an answer for the device with the platform's signed statement about it.
     *
     * @param statement an {@link AnswerStatements} COSE_Sign1, or {@code null} for none
     */
    public static byte[] encode(UpdateAnswer answer, byte[] statement) {
        Map<Object, Object> map = new TreeMap<>();
        if (statement != null) {
            map.put("statement", statement);
        }
        if (answer instanceof UpdateAnswer.Offer offer) {
            map.put("status", "offer");
            map.put("rollout", offer.rolloutId());
            map.put("release", offer.release().id());
            map.put("event", offer.releaseEvent());
            map.put("proof", proof(offer.proof()));
            map.put("checkpoint", offer.checkpoint().envelope());
            if (offer.anchor() != null) {
                map.put("anchor", anchor(offer.anchor()));
            }
            if (offer.delta() != null) {
                map.put("delta", delta(offer.delta()));
            }
            if (!offer.trustChanges().isEmpty()) {
                List<Object> changes = new ArrayList<>();
                for (UpdateAnswer.TrustChange change : offer.trustChanges()) {
                    Map<Object, Object> c = new TreeMap<>();
                    c.put("event", change.event());
                    c.put("proof", proof(change.proof()));
                    changes.add(c);
                }
                map.put("trust", changes);
            }
        } else {
            UpdateAnswer.NoUpdate none = (UpdateAnswer.NoUpdate) answer;
            map.put("status", "none");
            map.put("reason", none.reason());
            if (none.retryAfter() != null) {
                map.put("retry-after", Math.max(0, none.retryAfter().toSeconds()));
            }
        }
        return Cbor.encode(map);
    }

    /** An answer's tag: the first {@value #TAG_BYTES} bytes of the SHA-256 of its encoding. Equal answers, equal tags. */
    public static byte[] tagOf(byte[] encodedAnswer) {
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(encodedAnswer), TAG_BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static Map<Object, Object> anchor(ReleaseAnchor anchor) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("chain", anchor.chainId());
        map.put("contract", anchor.contract());
        map.put("tx", anchor.transactionHash());
        map.put("block", anchor.blockNumber());
        map.put("log-index", anchor.logIndex());
        return map;
    }

    private static ReleaseAnchor anchor(CborMap a) throws CborException, UpdateFormatException {
        a.onlyKeys(ANCHOR_FIELDS);
        try {
            return new ReleaseAnchor(a.unsigned("chain"), a.text("contract"), a.text("tx"), a.unsigned("block"),
                    a.unsigned("log-index"));
        } catch (IllegalArgumentException e) {
            throw new UpdateFormatException("update answer: " + e.getMessage());
        }
    }

    private static Map<Object, Object> delta(Delta delta) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("from", delta.fromRelease());
        map.put("codec", delta.codec());
        map.put("patch", delta.patch().toString());
        map.put("size", delta.patchSize());
        map.put("base-sha256", delta.fromSha256());
        map.put("memory", delta.applyMemory());
        return map;
    }

    private static DeviceAnswer.OfferedDelta delta(CborMap d) throws CborException, UpdateFormatException {
        d.onlyKeys(DELTA_FIELDS);
        byte[] base = d.bytes("base-sha256");
        if (base.length != 32) {
            throw new UpdateFormatException("update answer: the delta's base-sha256 must be 32 bytes, not "
                    + base.length);
        }
        try {
            return new DeviceAnswer.OfferedDelta(d.text("from"), d.text("codec"), Cid.parse(d.text("patch")),
                    d.unsigned("size"), base, d.unsigned("memory"));
        } catch (IllegalArgumentException e) {
            throw new UpdateFormatException("update answer: the delta's patch: " + e.getMessage());
        }
    }

    private static Map<Object, Object> proof(InclusionProof proof) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("index", proof.leafIndex());
        map.put("tree-size", proof.treeSize());
        map.put("path", new ArrayList<Object>(proof.path()));
        return map;
    }

    /** Encodes a consistency proof for a device. */
    public static byte[] encodeConsistency(ConsistencyProof proof) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("first", proof.firstSize());
        map.put("second", proof.secondSize());
        map.put("path", new ArrayList<Object>(proof.path()));
        return Cbor.encode(map);
    }

    /**
     * Decodes a consistency proof on the device side; {@link TrustedCheckpoint#extend} checks it.
     *
     * @throws UpdateFormatException naming what is malformed
     */
    public static ConsistencyProof decodeConsistency(byte[] bytes) throws UpdateFormatException {
        if (bytes.length > MAX_ANSWER_BYTES) {
            throw new UpdateFormatException("the consistency proof has " + bytes.length + " bytes, more than the "
                    + MAX_ANSWER_BYTES + " allowed");
        }
        try {
            CborMap map = CborMap.decode("consistency proof", bytes).onlyKeys(CONSISTENCY_FIELDS);
            long first = map.unsigned("first");
            long second = map.unsigned("second");
            if (first > second) {
                throw new UpdateFormatException("consistency proof: from " + first + " to " + second
                        + " events goes backwards");
            }
            List<byte[]> path = hashes(map.list("path"), "consistency proof");
            return new ConsistencyProof(first, second, path);
        } catch (CborException e) {
            throw new UpdateFormatException(e.getMessage());
        }
    }

    private static InclusionProof inclusionProof(CborMap p) throws CborException, UpdateFormatException {
        p.onlyKeys(PROOF_FIELDS);
        List<byte[]> path = hashes(p.list("path"), "update answer");
        try {
            return new InclusionProof(p.unsigned("index"), p.unsigned("tree-size"), path);
        } catch (IllegalArgumentException e) {
            throw new UpdateFormatException("update answer: " + e.getMessage());
        }
    }

    private static List<DeviceAnswer.TrustChange> trustChanges(List<?> items)
            throws CborException, UpdateFormatException, InvalidEventException {
        if (items.size() > MAX_TRUST_CHANGES) {
            throw new UpdateFormatException("update answer: " + items.size() + " trust changes, more than the "
                    + MAX_TRUST_CHANGES + " an offer carries");
        }
        List<DeviceAnswer.TrustChange> changes = new ArrayList<>();
        for (Object item : items) {
            CborMap c = CborMap.of("update answer's trust change", item).onlyKeys(TRUST_FIELDS);
            byte[] eventBytes = c.bytes("event");
            LedgerEvent event = LedgerEventCodec.decode(eventBytes);
            if (!EventTypes.KEY_ROTATED.equals(event.type()) && !EventTypes.KEY_REVOKED.equals(event.type())) {
                throw new UpdateFormatException("update answer: a trust change is a " + event.type() + ", not a "
                        + EventTypes.KEY_ROTATED + " or " + EventTypes.KEY_REVOKED);
            }
            changes.add(new DeviceAnswer.TrustChange(eventBytes, event, TrustEvents.decode(event.type(),
                    event.payload()), inclusionProof(c.map("proof"))));
        }
        return changes;
    }

    private static List<byte[]> hashes(List<?> items, String what) throws UpdateFormatException {
        if (items.size() > MAX_PROOF_HASHES) {
            throw new UpdateFormatException(what + ": " + items.size() + " hashes, more than any proof has");
        }
        List<byte[]> path = new ArrayList<>();
        for (Object hash : items) {
            if (!(hash instanceof byte[] b) || b.length != 32) {
                throw new UpdateFormatException(what + ": every proof hash must be 32 bytes");
            }
            path.add(b);
        }
        return path;
    }

    /**
     * Decodes an answer on the device side. Checks the structure only; {@link OfferVerifier} checks what it
     * claims.
     *
     * @throws UpdateFormatException naming what is malformed
     */
    public static DeviceAnswer decode(byte[] bytes) throws UpdateFormatException {
        return decodeAnswer(bytes).answer();
    }

    /**
     * Decodes an answer and the statement it carries; checks the structure only: {@link OfferVerifier} checks the
     * offer, {@link AnswerStatements#verify} the statement.
     *
     * @throws UpdateFormatException naming what is malformed
     */
    public static Decoded decodeAnswer(byte[] bytes) throws UpdateFormatException {
        if (bytes.length > MAX_ANSWER_BYTES) {
            throw new UpdateFormatException("the answer has " + bytes.length + " bytes, more than the "
                    + MAX_ANSWER_BYTES + " allowed");
        }
        try {
            CborMap map = CborMap.decode("update answer", bytes);
            String status = map.text("status");
            switch (status) {
            case "none": {
                map.onlyKeys(NONE_FIELDS);
                Duration retry = map.has("retry-after") ? Duration.ofSeconds(map.unsigned("retry-after")) : null;
                return new Decoded(new DeviceAnswer.None(map.text("reason"), retry), map.optionalBytes("statement"));
            }
            case "offer": {
                map.onlyKeys(OFFER_FIELDS);
                byte[] eventBytes = map.bytes("event");
                LedgerEvent event = LedgerEventCodec.decode(eventBytes);
                if (!EventTypes.RELEASE_PUBLISHED.equals(event.type())) {
                    throw new UpdateFormatException("the offered event is a " + event.type() + ", not a "
                            + EventTypes.RELEASE_PUBLISHED);
                }
                SignedManifest manifest = ReleaseEvents.decodePublished(event.payload());
                String releaseId = map.text("release");
                if (!releaseId.equals(manifest.manifest().releaseId())) {
                    throw new UpdateFormatException("the offer names release " + releaseId
                            + " but its event carries " + manifest.manifest().releaseId());
                }
                InclusionProof proof = inclusionProof(map.map("proof"));
                ReleaseAnchor anchor = map.has("anchor") ? anchor(map.map("anchor")) : null;
                DeviceAnswer.OfferedDelta delta = map.has("delta") ? delta(map.map("delta")) : null;
                List<DeviceAnswer.TrustChange> trust = map.has("trust") ? trustChanges(map.list("trust"))
                        : List.of();
                return new Decoded(new DeviceAnswer.Offer(map.text("rollout"), releaseId, eventBytes, event, manifest,
                        proof, map.bytes("checkpoint"), anchor, delta, trust), map.optionalBytes("statement"));
            }
            default:
                throw new UpdateFormatException("update answer: unknown status '" + status
                        + "', expected offer or none");
            }
        } catch (CborException | InvalidEventException e) {
            throw new UpdateFormatException(e.getMessage());
        }
    }
}
