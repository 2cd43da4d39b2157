package org.updraft.transport.lorawan.internal.update;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.updraft.core.update.SessionStatement;
import org.updraft.core.update.SessionStatements;
import org.updraft.core.update.UpdateAnswers;

/**
 * The data block a FUOTA session carries to a device: the platform's offer, encoded as every transport encodes it
 * ({@link UpdateAnswers}: the release.published event with the signed manifest, its inclusion proof, the signed
 * checkpoint, trust changes, and the recorded delta when there is one), followed by the payload: the image, or the
 * patch that rebuilds it from the image the device runs. The device verifies the offer and then the image (as
 * received, or as rebuilt) against the manifest before it installs anything; nothing in the block is trusted for being
 * in the block.
 *
 * <pre>
 * version 4: version u8 (4) | payload u8 (0 image, 1 delta) | answer length u32 big-endian | answer bytes
 *            | statement length u16 big-endian | statement bytes
 *            | proof count u8 | count x (proof length u16 big-endian | proof bytes) | payload bytes (to the end)
 * version 3: version u8 (3) | payload u8 (0 image, 1 delta) | answer length u32 big-endian | answer bytes
 *            | statement length u16 big-endian | statement bytes | payload bytes (to the end)
 * version 2: version u8 (2) | payload u8 | answer length u32 big-endian | answer bytes | payload bytes (to the end)
 * version 1: version u8 (1) | answer length u32 big-endian | answer bytes | image bytes (to the end)
 * </pre>
 *
 * The platform writes version 4. Its statement is the platform's {@link SessionStatement}: one block goes to every
 * device of the session, so instead of an answer's statement (which names one device and its request) it carries one
 * naming every device of the session, signed by the platform's statement key and expiring with the session. A device
 * provisioned with that key acts on no block whose statement does not name it. The payload byte says outright what
 * follows, so that a device never mistakes a patch for an image or the other way round. Versions 1 and 2 (without a
 * statement; version 1 without the payload byte) and 3 (without proofs) are still read.
 *
 * <p>Version 4 adds the consistency proofs the session's devices need, since a LoRaWAN device cannot ask for one: each
 * the CBOR of {@link UpdateAnswers#encodeConsistency}, from a checkpoint size a device of the session is known to
 * hold to the offer's checkpoint size (or back, when the device holds the larger one). At most {@link #MAX_PROOFS},
 * each at most {@link #MAX_PROOF_BYTES}: every device of the session receives every proof, so a session whose devices
 * hold more distinct sizes carries the proofs of the sizes most of them hold, and a device whose proof is not in the
 * block says so ({@link #LOG_UNPROVEN}) and installs nothing. A block of an older version carries no proof.
 */
public final class UpdateBlock {

    /** What follows the offer. */
    public enum Payload {
        /** The release's image. */
        IMAGE,
        /** The patch of the offer's delta, applied to the image the device runs. */
        DELTA
    }

    /** The first version: an image, no payload byte, no statement. */
    public static final int VERSION_IMAGE = 1;
    /** The version that says which payload it carries, without a statement. */
    public static final int VERSION_PAYLOAD = 2;
    /** The version with the payload byte and the session's statement, without proofs. */
    public static final int VERSION_STATEMENT = 3;
    /** The version the platform writes: payload byte, the session's statement and consistency proofs. */
    public static final int VERSION = 4;
    /**
     * The most consistency proofs one block carries: each one costs every device of the session its air time, so a
     * session proves at most this many distinct checkpoint sizes.
     */
    public static final int MAX_PROOFS = 8;
    /**
     * The largest proof: an RFC 9162 consistency proof has at most about 2 log2(n) hashes (64 for a log of 2^32
     * events, about 2.2 KB of CBOR).
     */
    public static final int MAX_PROOF_BYTES = 4096;
    /**
     * The reason a device reports, with state {@code downloading} and followed by {@code ": <tree size>"}, when the
     * block carries no consistency proof from the checkpoint it holds: it installs nothing, and the transport sends
     * the proof in its next session.
     */
    public static final String LOG_UNPROVEN = "log-unproven";
    private static final int HEADER_1 = 5;
    private static final int HEADER_2 = 6;

    private final Payload kind;
    private final byte[] answer;
    private final byte[] statement;
    private final List<byte[]> proofs;
    private final byte[] payload;
    private final int version;

    private UpdateBlock(int version, Payload kind, byte[] answer, byte[] statement, List<byte[]> proofs,
            byte[] payload) {
        this.version = version;
        this.kind = kind;
        this.answer = answer;
        this.statement = statement;
        this.proofs = proofs;
        this.payload = payload;
    }

    /**
     * The block of an encoded offer ({@link UpdateAnswers#encode}), the session's signed statement
     * ({@link SessionStatements}; empty for none) and the payload: the image, or the patch of the offer's delta; it
     * carries no consistency proof.
     */
    public static byte[] encode(Payload kind, byte[] answer, byte[] statement, byte[] payload) {
        return encode(kind, answer, statement, List.of(), payload);
    }

    /**
     * The block of an encoded offer, the session's signed statement, the consistency proofs its devices need (each
     * {@link UpdateAnswers#encodeConsistency}) and the payload.
     *
     * @throws IllegalArgumentException for more than {@link #MAX_PROOFS} proofs, an empty one or one larger than
     *         {@link #MAX_PROOF_BYTES}, or an answer or statement larger than any
     */
    public static byte[] encode(Payload kind, byte[] answer, byte[] statement, List<byte[]> proofs, byte[] payload) {
        if (answer.length > UpdateAnswers.MAX_ANSWER_BYTES) {
            throw new IllegalArgumentException("an offer of " + answer.length + " bytes is larger than any answer ("
                    + UpdateAnswers.MAX_ANSWER_BYTES + ")");
        }
        if (statement.length > SessionStatements.MAX_STATEMENT_BYTES) {
            throw new IllegalArgumentException("a statement of " + statement.length + " bytes is larger than any ("
                    + SessionStatements.MAX_STATEMENT_BYTES + ")");
        }
        if (proofs.size() > MAX_PROOFS) {
            throw new IllegalArgumentException(proofs.size() + " consistency proofs in one block, at most "
                    + MAX_PROOFS);
        }
        int proofBytes = 1;
        for (byte[] p : proofs) {
            if (p.length == 0 || p.length > MAX_PROOF_BYTES) {
                throw new IllegalArgumentException("a consistency proof of " + p.length + " bytes, expected 1 to "
                        + MAX_PROOF_BYTES);
            }
            proofBytes += 2 + p.length;
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER_2 + answer.length + 2 + statement.length + proofBytes
                + payload.length).put((byte) VERSION).put((byte) kind.ordinal()).putInt(answer.length).put(answer)
                .putShort((short) statement.length).put(statement).put((byte) proofs.size());
        for (byte[] p : proofs) {
            out.putShort((short) p.length).put(p);
        }
        return out.put(payload).array();
    }

    /**
     * Splits a rebuilt block of any version.
     *
     * @throws IllegalArgumentException for an unknown version or payload, a length the block cannot hold, or more
     *         proofs or a larger one than a block may carry
     */
    public static UpdateBlock decode(byte[] block) {
        if (block.length < 1) {
            throw new IllegalArgumentException("an empty block has no header");
        }
        int version = block[0] & 0xFF;
        int header = version == VERSION_IMAGE ? HEADER_1
                : version >= VERSION_PAYLOAD && version <= VERSION ? HEADER_2 : -1;
        if (header < 0) {
            throw new IllegalArgumentException("block version " + version + ", expected 1 to " + VERSION);
        }
        if (block.length < header) {
            throw new IllegalArgumentException("a block of " + block.length + " bytes has no header");
        }
        ByteBuffer in = ByteBuffer.wrap(block, 1, block.length - 1);
        Payload kind = Payload.IMAGE;
        if (version != VERSION_IMAGE) {
            int k = in.get() & 0xFF;
            if (k >= Payload.values().length) {
                throw new IllegalArgumentException("block payload " + k + ", expected 0 (image) or 1 (delta)");
            }
            kind = Payload.values()[k];
        }
        long length = in.getInt() & 0xFFFF_FFFFL;
        if (length > UpdateAnswers.MAX_ANSWER_BYTES || length > block.length - header) {
            throw new IllegalArgumentException("an answer of " + length + " bytes in a block of " + block.length);
        }
        int end = header + (int) length;
        byte[] answer = Arrays.copyOfRange(block, header, end);
        byte[] statement = new byte[0];
        if (version >= VERSION_STATEMENT) {
            if (block.length - end < 2) {
                throw new IllegalArgumentException("a block of " + block.length + " bytes ends before its statement");
            }
            int size = ((block[end] & 0xFF) << 8) | (block[end + 1] & 0xFF);
            if (size > block.length - end - 2) {
                throw new IllegalArgumentException("a statement of " + size + " bytes in a block of " + block.length);
            }
            statement = Arrays.copyOfRange(block, end + 2, end + 2 + size);
            end += 2 + size;
        }
        List<byte[]> proofs = new ArrayList<>();
        if (version >= VERSION) {
            if (block.length - end < 1) {
                throw new IllegalArgumentException("a block of " + block.length + " bytes ends before its proofs");
            }
            int count = block[end++] & 0xFF;
            if (count > MAX_PROOFS) {
                throw new IllegalArgumentException("a block with " + count + " consistency proofs, at most "
                        + MAX_PROOFS);
            }
            for (int i = 0; i < count; i++) {
                if (block.length - end < 2) {
                    throw new IllegalArgumentException("a block of " + block.length + " bytes ends before proof "
                            + (i + 1) + " of " + count);
                }
                int size = ((block[end] & 0xFF) << 8) | (block[end + 1] & 0xFF);
                if (size == 0 || size > MAX_PROOF_BYTES || size > block.length - end - 2) {
                    throw new IllegalArgumentException("consistency proof " + (i + 1) + " of " + size
                            + " bytes (1 to " + MAX_PROOF_BYTES + ") in a block of " + block.length);
                }
                proofs.add(Arrays.copyOfRange(block, end + 2, end + 2 + size));
                end += 2 + size;
            }
        }
        return new UpdateBlock(version, kind, answer, statement, List.copyOf(proofs),
                Arrays.copyOfRange(block, end, block.length));
    }

    /** The block's version: 1 to {@link #VERSION}. */
    public int version() {
        return version;
    }

    /**
     * The consistency proofs it carries, each as {@link UpdateAnswers#decodeConsistency} reads it (not yet decoded:
     * a device looks for the one from its own checkpoint); empty before version 4.
     */
    public List<byte[]> proofs() {
        return proofs.stream().map(byte[]::clone).toList();
    }

    /** The session's signed statement; empty in a version 1 or 2 block, or when the platform sent none. */
    public byte[] statement() {
        return statement.clone();
    }

    /** Whether the payload is the image or a patch. */
    public Payload kind() {
        return kind;
    }

    /** The offer as {@link UpdateAnswers#decode} reads it. */
    public byte[] answer() {
        return answer.clone();
    }

    /** The bytes after the offer: the image, or the patch ({@link #kind()}). */
    public byte[] payload() {
        return payload.clone();
    }
}
