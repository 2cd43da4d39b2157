package org.updraft.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Pseudo-random file content from a fixed seed. java.util.Random's sequence is fixed by its specification, so
 * the same seed and size give the same bytes on every JVM, and recorded CIDs stay valid.
 */
final class SeededFile {

    private SeededFile() {
    }

    static Path write(Path file, long seed, long size) throws IOException {
        Random random = new Random(seed);
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0;) {
                random.nextBytes(buffer);
                int n = (int) Math.min(left, buffer.length);
                out.write(buffer, 0, n);
                left -= n;
            }
        }
        return file;
    }
}
