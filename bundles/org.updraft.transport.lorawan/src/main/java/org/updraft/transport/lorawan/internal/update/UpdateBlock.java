package org.updraft.transport.lorawan.internal.update;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.updraft.core.update.UpdateAnswers;

/**
 * The data block a FUOTA session carries to a device: the platform's offer, encoded as every transport encodes it
 * ({@link UpdateAnswers}: the release.published event with the signed manifest, its inclusion proof, the signed
 * checkpoint, trust changes), followed by the image. The device verifies the offer and then the image against the
 * manifest before it installs anything; nothing in the block is trusted for being in the block.
 *
 * <pre>
 * version u8 (1) | answer length u32 big-endian | answer bytes | image bytes (to the end)
 * </pre>
 *
 * The offer carries no answer statement: one block goes to every device of the session, and a statement names one
 * device and its request.
 */
public final class UpdateBlock {

    public static final int VERSION = 1;
    private static final int HEADER = 5;

    private final byte[] answer;
    private final byte[] image;

    private UpdateBlock(byte[] answer, byte[] image) {
        this.answer = answer;
        this.image = image;
    }

    /** The block of an encoded offer ({@link UpdateAnswers#encode}) and its image. */
    public static byte[] encode(byte[] answer, byte[] image) {
        if (answer.length > UpdateAnswers.MAX_ANSWER_BYTES) {
            throw new IllegalArgumentException("an offer of " + answer.length + " bytes is larger than any answer ("
                    + UpdateAnswers.MAX_ANSWER_BYTES + ")");
        }
        return ByteBuffer.allocate(HEADER + answer.length + image.length).put((byte) VERSION).putInt(answer.length)
                .put(answer).put(image).array();
    }

    /**
     * Splits a rebuilt block.
     *
     * @throws IllegalArgumentException for an unknown version or an answer length the block cannot hold
     */
    public static UpdateBlock decode(byte[] block) {
        if (block.length < HEADER) {
            throw new IllegalArgumentException("a block of " + block.length + " bytes has no header");
        }
        ByteBuffer in = ByteBuffer.wrap(block);
        int version = in.get() & 0xFF;
        if (version != VERSION) {
            throw new IllegalArgumentException("block version " + version + ", expected " + VERSION);
        }
        long length = in.getInt() & 0xFFFF_FFFFL;
        if (length > UpdateAnswers.MAX_ANSWER_BYTES || length > block.length - HEADER) {
            throw new IllegalArgumentException("an answer of " + length + " bytes in a block of " + block.length);
        }
        int end = HEADER + (int) length;
        return new UpdateBlock(Arrays.copyOfRange(block, HEADER, end), Arrays.copyOfRange(block, end, block.length));
    }

    /** The offer as {@link UpdateAnswers#decode} reads it. */
    public byte[] answer() {
        return answer.clone();
    }

    public byte[] image() {
        return image.clone();
    }
}
