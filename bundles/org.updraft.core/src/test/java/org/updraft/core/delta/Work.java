package org.updraft.core.delta;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;

/** Where delta tests keep files (under target/, never elsewhere) and the shared fixtures they read. */
final class Work {

    private Work() {
    }

    /** A new directory under target/delta-work. */
    static Path directory(String name) throws IOException {
        Path parent = Path.of("target", "delta-work");
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, name + "-").toAbsolutePath();
    }

    /** ../shared/fixtures/delta, relative to the repository's root. */
    static Path fixtures() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no repository root (with mvnw) above " + Path.of("").toAbsolutePath());
        }
        Path fixtures = dir.resolve("../shared/fixtures/delta").normalize();
        if (!Files.isDirectory(fixtures)) {
            throw new IllegalStateException("the shared delta fixtures are not at " + fixtures);
        }
        return fixtures;
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    static byte[] create(DeltaCodec codec, byte[] old, byte[] next, long applyMemory) throws Exception {
        ByteArrayOutputStream patch = new ByteArrayOutputStream();
        codec.create(Deltas.channel(old), Deltas.channel(next), patch, applyMemory);
        return patch.toByteArray();
    }

    static byte[] apply(DeltaCodec codec, byte[] old, byte[] patch, long targetSize) throws Exception {
        return apply(codec, old, patch, targetSize, Long.MAX_VALUE);
    }

    static byte[] apply(DeltaCodec codec, byte[] old, byte[] patch, long targetSize, long memoryLimit)
            throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.apply(Deltas.channel(old), Deltas.channel(patch), out, targetSize, memoryLimit);
        return out.toByteArray();
    }

    static byte[] apply(DeltaCodec codec, Path old, Path patch, long targetSize) throws IOException, DeltaException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FileChannel base = FileChannel.open(old); FileChannel p = FileChannel.open(patch)) {
            codec.apply(base, p, out, targetSize, Long.MAX_VALUE);
        }
        return out.toByteArray();
    }

    static void create(DeltaCodec codec, Path old, Path next, Path patch) throws IOException, DeltaException {
        try (FileChannel base = FileChannel.open(old); FileChannel target = FileChannel.open(next);
                OutputStream out = Files.newOutputStream(patch)) {
            codec.create(base, target, out, Long.MAX_VALUE);
        }
    }
}
