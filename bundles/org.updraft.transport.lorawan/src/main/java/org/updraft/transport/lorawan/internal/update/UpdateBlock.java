package org.updraft.transport.lorawan.internal.update;

import java.nio.ByteBuffer;
import java.util.Arrays;

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
 * version 1: version u8 (1) | answer length u32 big-endian | answer bytes | image bytes (to the end)
 * version 2: version u8 (2) | payload u8 (0 image, 1 delta) | answer length u32 big-endian | answer bytes
 *            | payload bytes (to the end)
 * </pre>
 *
 * A full image is still encoded as version 1: firmware that predates deltas reads version 1 only, and the platform
 * offers deltas only to classes whose devices apply them, so such firmware never sees a version 2 block. Version 2
 * says outright what the payload is, so that a device never mistakes a patch for an image or the other way round.
 *
 * <p>The offer carries no answer statement: one block goes to every device of the session, and a statement names one
 * device and its request.
 */
public final class UpdateBlock {

    /** What follows the offer. */
    public enum Payload {
        /** The release's image. */
        IMAGE,
        /** The patch of the offer's delta, applied to the image the device runs. */
        DELTA
    }

    /** The version of a block that carries a full image (the first one, which every device reads). */
    public static final int VERSION = 1;
    /** The version of a block that says which payload it carries. */
    public static final int VERSION_PAYLOAD = 2;
    private static final int HEADER = 5;
    private static final int HEADER_2 = 6;

    private final Payload kind;
    private final byte[] answer;
    private final byte[] payload;

    private UpdateBlock(Payload kind, byte[] answer, byte[] payload) {
        this.kind = kind;
        this.answer = answer;
        this.payload = payload;
    }

    /** The block of an encoded offer ({@link UpdateAnswers#encode}) and its image: version 1. */
    public static byte[] encode(byte[] answer, byte[] image) {
        checkAnswer(answer);
        return ByteBuffer.allocate(HEADER + answer.length + image.length).put((byte) VERSION).putInt(answer.length)
                .put(answer).put(image).array();
    }

    /** The block of an encoded offer that carries a delta, and that delta's patch: version 2. */
    public static byte[] encodeDelta(byte[] answer, byte[] patch) {
        checkAnswer(answer);
        return ByteBuffer.allocate(HEADER_2 + answer.length + patch.length).put((byte) VERSION_PAYLOAD)
                .put((byte) Payload.DELTA.ordinal()).putInt(answer.length).put(answer).put(patch).array();
    }

    private static void checkAnswer(byte[] answer) {
        if (answer.length > UpdateAnswers.MAX_ANSWER_BYTES) {
            throw new IllegalArgumentException("an offer of " + answer.length + " bytes is larger than any answer ("
                    + UpdateAnswers.MAX_ANSWER_BYTES + ")");
        }
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
        int header = version == VERSION ? HEADER : version == VERSION_PAYLOAD ? HEADER_2 : -1;
        if (header < 0) {
            throw new IllegalArgumentException("block version " + version + ", expected " + VERSION + " or "
                    + VERSION_PAYLOAD);
        }
        if (block.length < header) {
            throw new IllegalArgumentException("a block of " + block.length + " bytes has no header");
        }
        ByteBuffer in = ByteBuffer.wrap(block, 1, block.length - 1);
        Payload kind = Payload.IMAGE;
        if (version == VERSION_PAYLOAD) {
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
        return new UpdateBlock(kind, Arrays.copyOfRange(block, header, end),
                Arrays.copyOfRange(block, end, block.length));
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
