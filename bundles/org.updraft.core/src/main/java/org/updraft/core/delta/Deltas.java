package org.updraft.core.delta;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;
import org.updraft.core.io.ReadOnlyChannel;

/**
 * Applying a patch as a device does, whatever the codec: the base must be the image the patch was made from
 * (its SHA-256 is recorded with the patch), the codec may write no more than the target's size, and the caller
 * gets the SHA-256 of what was written, to compare with the signed manifest before the image is booted.
 */
public final class Deltas {

    private static final int HASH_BUFFER = 16 * 1024;

    private Deltas() {
    }

    /**
     * Checks {@code base} against {@code baseSha256}, then applies {@code patch} with {@code codec} (see
     * {@link DeltaCodec#apply}), counting and hashing what it writes.
     *
     * @return the SHA-256 of the {@code targetSize} bytes written to {@code target}
     * @throws DeltaException {@link Reason#BASE_MISMATCH} when the base's digest differs (nothing is written),
     *         {@link Reason#TOO_LARGE} or {@link Reason#TOO_SHORT} when the codec writes another size, or the
     *         codec's own refusal
     */
    public static byte[] apply(DeltaCodec codec, SeekableByteChannel base, byte[] baseSha256,
            SeekableByteChannel patch, OutputStream target, long targetSize, long memoryLimit)
            throws DeltaException, IOException {
        byte[] actual = sha256(base);
        if (!MessageDigest.isEqual(actual, baseSha256)) {
            throw new DeltaException(Reason.BASE_MISMATCH, "the base image's SHA-256 is " + hex(actual)
                    + ", but the patch was made from " + hex(baseSha256));
        }
        MessageDigest digest = sha256();
        Bounded bounded = new Bounded(target, targetSize, digest);
        try {
            codec.apply(base, patch, bounded, targetSize, memoryLimit);
        } catch (Bounded.Overflow e) {
            throw new DeltaException(Reason.TOO_LARGE, codec.id() + " patch writes past the expected " + targetSize
                    + " bytes");
        }
        if (bounded.written != targetSize) {
            throw new DeltaException(Reason.TOO_SHORT, codec.id() + " patch wrote " + bounded.written + " of the "
                    + "expected " + targetSize + " bytes");
        }
        return digest.digest();
    }

    /** The SHA-256 of a channel's bytes, from position 0 to its size, read by position. */
    public static byte[] sha256(SeekableByteChannel channel) throws IOException {
        MessageDigest digest = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(HASH_BUFFER);
        long size = channel.size();
        for (long at = 0; at < size;) {
            buffer.clear().limit((int) Math.min(HASH_BUFFER, size - at));
            int n = Channels.readAt(channel, at, buffer);
            if (n <= 0) {
                throw new IOException("the image ended at byte " + at + " but reported a size of " + size);
            }
            digest.update(buffer.array(), 0, n);
            at += n;
        }
        return digest.digest();
    }

    /** A read-only channel over {@code bytes} (not copied), for images held in memory. */
    public static SeekableByteChannel channel(byte[] bytes) {
        return new ByteChannel(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** Counts and hashes what passes; refuses a byte past the limit. */
    private static final class Bounded extends OutputStream {

        /** Thrown through the codec, which declares only IOException; turned into a refusal by apply. */
        static final class Overflow extends IOException {
            private static final long serialVersionUID = 1L;

            Overflow() {
                super("the patch writes past the target's size");
            }
        }

        private final OutputStream out;
        private final long limit;
        private final MessageDigest digest;
        long written;

        Bounded(OutputStream out, long limit, MessageDigest digest) {
            this.out = out;
            this.limit = limit;
            this.digest = digest;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > limit - written) {
                throw new Overflow();
            }
            out.write(b, off, len);
            digest.update(b, off, len);
            written += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }

    private static final class ByteChannel extends ReadOnlyChannel {
        private final byte[] bytes;

        ByteChannel(byte[] bytes) {
            super(bytes.length);
            this.bytes = bytes;
        }

        @Override
        protected int readAt(long position, ByteBuffer dst, int length) {
            dst.put(bytes, (int) position, length);
            return length;
        }
    }
}
