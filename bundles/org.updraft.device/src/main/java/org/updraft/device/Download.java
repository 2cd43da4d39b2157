package org.updraft.device;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A download received in order into a buffer of its final size, kept across simulated power losses so that the same
 * download resumes where it stopped: what {@link AbFlash} writes into its inactive slot and {@link LinuxAbRootfs}
 * into its staging area. Not thread-safe: its owner's lock guards it.
 */
final class Download {

    private final String key;
    private final byte[] bytes;
    private final String what;
    private long written;

    /**
     * @param key what identifies the download, e.g. its CID
     * @param size its size, checked by the owner (at most 2 GiB)
     * @param what what is downloaded, for messages: {@code image}, {@code .swu}
     */
    Download(String key, long size, String what) {
        this.key = key;
        this.bytes = new byte[(int) size];
        this.what = what;
    }

    /** Whether this is the download {@code key} of {@code size} bytes, which then resumes. */
    boolean isFor(String key, long size) {
        return this.key.equals(key) && bytes.length == size;
    }

    /** Writes {@code data} at {@code offset}: in order, repeats allowed, no gap and nothing past the end. */
    void write(long offset, byte[] data) {
        if (offset < 0 || offset > written) {
            throw new IllegalArgumentException("write at " + offset + " would leave a gap after " + written
                    + " written bytes");
        }
        if (offset + data.length > bytes.length) {
            throw new IllegalArgumentException("write of " + data.length + " bytes at " + offset
                    + " runs past the end of the " + bytes.length + "-byte " + what);
        }
        System.arraycopy(data, 0, bytes, (int) offset, data.length);
        written = Math.max(written, offset + data.length);
    }

    long written() {
        return written;
    }

    long size() {
        return bytes.length;
    }

    boolean isComplete() {
        return written == bytes.length;
    }

    /** The bytes written so far. */
    InputStream read() {
        return new ByteArrayInputStream(bytes, 0, (int) written);
    }

    /** A copy of the bytes written so far. */
    byte[] copy() {
        return Arrays.copyOf(bytes, (int) written);
    }

    /**
     * The complete download to keep: {@code shared} when given (a fleet of simulated devices keeps one copy), which
     * must equal it, or the buffer itself.
     */
    byte[] keep(byte[] shared) {
        if (shared == null) {
            return bytes;
        }
        if (!Arrays.equals(shared, bytes)) {
            throw new IllegalArgumentException("the shared bytes differ from the downloaded " + what);
        }
        return shared;
    }
}
