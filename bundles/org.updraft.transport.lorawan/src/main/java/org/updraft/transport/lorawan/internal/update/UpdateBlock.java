package org.updraft.transport.lorawan.internal.update;

import java.nio.ByteBuffer;
import java.util.Arrays;

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
 * version 3: version u8 (3) | payload u8 (0 image, 1 delta) | answer length u32 big-endian | answer bytes
 *            | statement length u16 big-endian | statement bytes | payload bytes (to the end)
 * version 2: version u8 (2) | payload u8 | answer length u32 big-endian | answer bytes | payload bytes (to the end)
 * version 1: version u8 (1) | answer length u32 big-endian | answer bytes | image bytes (to the end)
 * </pre>
 *
 * The platform writes version 3. Its statement is the platform's {@link SessionStatement}: one block goes to every
 * device of the session, so instead of an answer's statement (which names one device and its request) it carries one
 * naming every device of the session, signed by the platform's statement key and expiring with the session. A device
 * provisioned with that key acts on no block whose statement does not name it. The payload byte says outright what
 * follows, so that a device never mistakes a patch for an image or the other way round. Versions 1 and 2 (without a
 * statement; version 1 without the payload byte) are still read.
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
    /** The version the platform writes: payload byte and the session's statement. */
    public static final int VERSION = 3;
    private static final int HEADER_1 = 5;
    private static final int HEADER_2 = 6;

    private final Payload kind;
    private final byte[] answer;
    private final byte[] statement;
    private final byte[] payload;

    private UpdateBlock(Payload kind, byte[] answer, byte[] statement, byte[] payload) {
        this.kind = kind;
        this.answer = answer;
        this.statement = statement;
        this.payload = payload;
    }

    /**
     * The block of an encoded offer ({@link UpdateAnswers#encode}), the session's signed statement
     * ({@link SessionStatements}; empty for none) and the payload: the image, or the patch of the offer's delta.
     */
    public static byte[] encode(Payload kind, byte[] answer, byte[] statement, byte[] payload) {
        if (answer.length > UpdateAnswers.MAX_ANSWER_BYTES) {
            throw new IllegalArgumentException("an offer of " + answer.length + " bytes is larger than any answer ("
                    + UpdateAnswers.MAX_ANSWER_BYTES + ")");
        }
        if (statement.length > SessionStatements.MAX_STATEMENT_BYTES) {
            throw new IllegalArgumentException("a statement of " + statement.length + " bytes is larger than any ("
                    + SessionStatements.MAX_STATEMENT_BYTES + ")");
        }
        return ByteBuffer.allocate(HEADER_2 + answer.length + 2 + statement.length + payload.length)
                .put((byte) VERSION).put((byte) kind.ordinal()).putInt(answer.length).put(answer)
                .putShort((short) statement.length).put(statement).put(payload).array();
    }

    /**
     * Splits a rebuilt block of either version.
     *
     * @throws IllegalArgumentException for an unknown version or payload, or an answer length the block cannot hold
     */
    public static UpdateBlock decode(byte[] block) {
        if (block.length < 1) {
            throw new IllegalArgumentException("an empty block has no header");
        }
        int version = block[0] & 0xFF;
        int header = version == VERSION_IMAGE ? HEADER_1 : version == VERSION_PAYLOAD || version == VERSION ? HEADER_2
                : -1;
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
        if (version == VERSION) {
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
        return new UpdateBlock(kind, answer, statement, Arrays.copyOfRange(block, end, block.length));
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
