package org.updraft.core.unixfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reproducible pseudo-random file content of any size without holding it in memory: byte {@code i} depends only
 * on the seed and {@code i}, so the same file can be written to disk for an external oracle and streamed into
 * the importer. {@code main(seed, size, file)} writes one such file.
 */
public class SeededContent extends InputStream {

    private final long seed;
    private final long size;
    private long position;

    public SeededContent(long seed, long size) {
        this.seed = seed;
        this.size = size;
    }

    public static byte[] bytes(long seed, int size) {
        byte[] out = new byte[size];
        try (SeededContent in = new SeededContent(seed, size)) {
            in.readNBytes(out, 0, size);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    public static Path write(long seed, long size, Path file) throws IOException {
        try (InputStream in = new SeededContent(seed, size); OutputStream out = Files.newOutputStream(file)) {
            in.transferTo(out);
        }
        return file;
    }

    /** splitmix64 of the word index: cheap, and every 8-byte word is independent of how the stream is read. */
    private static long word(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public int read() {
        if (position >= size) {
            return -1;
        }
        int b = (int) (word(seed, position >>> 3) >>> ((position & 7) * 8)) & 0xFF;
        position++;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(len, size - position);
        long w = word(seed, position >>> 3);
        for (int i = 0; i < n; i++) {
            long p = position + i;
            if (i > 0 && (p & 7) == 0) {
                w = word(seed, p >>> 3);
            }
            b[off + i] = (byte) (w >>> ((p & 7) * 8));
        }
        position += n;
        return n;
    }

    public static void main(String[] args) throws IOException {
        write(Long.parseLong(args[0]), Long.parseLong(args[1]), Path.of(args[2]));
    }
}
