package org.updraft.core.log;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.cose.CoseException;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/**
 * The signed form of a {@link Checkpoint}: a COSE_Sign1 (content type {@value #CONTENT_TYPE}) by the log key
 * whose payload is the deterministic CBOR map
 *
 * <pre>
 * "origin"    text      the log's name
 * "tree-size" uint      number of events covered
 * "root-hash" bstr(32)  RFC 9162 Merkle tree hash of those events
 * "timestamp" uint      milliseconds since the epoch, when the log signed it
 * </pre>
 *
 * A device provisioned with the log's did:key checks a checkpoint with {@link #verify} and nothing else; it
 * should also compare {@link Checkpoint#origin()} with the log it expects.
 */
public final class CheckpointCodec {

    public static final String CONTENT_TYPE = "application/vnd.updraft.checkpoint+cbor";
    /** Larger than any checkpoint; bounds what a hostile peer can make a device parse. */
    public static final int MAX_CHECKPOINT_BYTES = 4096;

    private static final String F_ORIGIN = "origin";
    private static final String F_TREE_SIZE = "tree-size";
    private static final String F_ROOT_HASH = "root-hash";
    private static final String F_TIMESTAMP = "timestamp";
    private static final List<String> FIELDS = List.of(F_ORIGIN, F_TREE_SIZE, F_ROOT_HASH, F_TIMESTAMP);

    private CheckpointCodec() {
    }

    /** The payload the log key signs. */
    public static byte[] encodePayload(String origin, long treeSize, byte[] rootHash, Instant timestamp) {
        if (origin == null || origin.isBlank()) {
            throw new IllegalArgumentException("a checkpoint needs a log origin name");
        }
        if (treeSize < 0) {
            throw new IllegalArgumentException("tree size " + treeSize + " is negative");
        }
        MerkleHash.requireHash(rootHash, "root hash");
        long millis = timestamp.toEpochMilli();
        if (millis < 0) {
            throw new IllegalArgumentException("checkpoint time " + timestamp + " is before 1970");
        }
        Map<Object, Object> map = new TreeMap<>();
        map.put(F_ORIGIN, origin);
        map.put(F_TREE_SIZE, treeSize);
        map.put(F_ROOT_HASH, rootHash);
        map.put(F_TIMESTAMP, millis);
        return Cbor.encode(map);
    }

    /** Signs a checkpoint with the log key; its timestamp is kept to the millisecond. */
    public static Checkpoint sign(String origin, long treeSize, byte[] rootHash, Instant timestamp,
            SigningKey logKey) {
        byte[] envelope = CoseSign1.sign(encodePayload(origin, treeSize, rootHash, timestamp), CONTENT_TYPE, logKey);
        return new Checkpoint(origin, treeSize, rootHash, Instant.ofEpochMilli(timestamp.toEpochMilli()), envelope);
    }

    /**
     * Parses a signed checkpoint and checks its signature against the log key.
     *
     * @throws InvalidCheckpointException when it is malformed or not signed by {@code logKey}
     */
    public static Checkpoint verify(byte[] envelope, VerificationKey logKey) throws InvalidCheckpointException {
        CoseSign1 cose = decodeEnvelope(envelope);
        if (!cose.verify(logKey)) {
            throw new InvalidCheckpointException(cose.kid().equals(logKey.did())
                    ? "checkpoint signature does not verify with log key " + logKey.did()
                    : "checkpoint is signed by " + cose.kid() + ", not by log key " + logKey.did());
        }
        return fromPayload(cose.payload(), envelope);
    }

    /**
     * {@link #verify} against a log key given as its did:key.
     *
     * @throws IllegalArgumentException when {@code logKeyDid} is not a did:key Updraft supports
     */
    public static Checkpoint verify(byte[] envelope, String logKeyDid) throws InvalidCheckpointException {
        return verify(envelope, VerificationKey.fromDid(logKeyDid));
    }

    /**
     * Parses a signed checkpoint WITHOUT checking its signature, for a log reading back what it wrote itself.
     * Anything received from elsewhere goes through {@link #verify}.
     */
    public static Checkpoint parse(byte[] envelope) throws InvalidCheckpointException {
        return fromPayload(decodeEnvelope(envelope).payload(), envelope);
    }

    /** The did:key the envelope claims signed it (not verified). */
    public static String signer(byte[] envelope) throws InvalidCheckpointException {
        return decodeEnvelope(envelope).kid();
    }

    private static CoseSign1 decodeEnvelope(byte[] envelope) throws InvalidCheckpointException {
        if (envelope == null || envelope.length == 0) {
            throw new InvalidCheckpointException("the checkpoint is empty");
        }
        if (envelope.length > MAX_CHECKPOINT_BYTES) {
            throw new InvalidCheckpointException("the checkpoint has " + envelope.length + " bytes, more than the "
                    + MAX_CHECKPOINT_BYTES + " a checkpoint may have");
        }
        try {
            return CoseSign1.decode(envelope, CONTENT_TYPE);
        } catch (CoseException e) {
            throw new InvalidCheckpointException("not a signed Updraft checkpoint: " + e.getMessage());
        }
    }

    private static Checkpoint fromPayload(byte[] payload, byte[] envelope) throws InvalidCheckpointException {
        try {
            CborMap map = CborMap.decode("checkpoint", payload).onlyKeys(FIELDS);
            String origin = map.text(F_ORIGIN);
            byte[] rootHash = map.bytes(F_ROOT_HASH);
            if (rootHash.length != MerkleHash.SIZE) {
                throw new InvalidCheckpointException("checkpoint root hash has " + rootHash.length + " bytes, not "
                        + MerkleHash.SIZE);
            }
            return new Checkpoint(origin, map.unsigned(F_TREE_SIZE), rootHash,
                    Instant.ofEpochMilli(map.unsigned(F_TIMESTAMP)), envelope);
        } catch (CborException e) {
            throw new InvalidCheckpointException("malformed checkpoint: " + e.getMessage());
        }
    }
}
