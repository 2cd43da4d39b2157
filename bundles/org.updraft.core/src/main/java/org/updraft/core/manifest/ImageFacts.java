package org.updraft.core.manifest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Size and SHA-256 of image bytes, as measured by whoever holds them.
 *
 * @param size bytes
 * @param sha256 digest
 */
public record ImageFacts(long size, byte[] sha256) {

    public ImageFacts {
        sha256 = sha256.clone();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    /** Reads the stream to its end (without closing it) and measures it. */
    public static ImageFacts of(InputStream in) throws IOException {
        MessageDigest sha256 = newDigest();
        byte[] buffer = new byte[64 * 1024];
        long size = 0;
        for (int n; (n = in.read(buffer)) != -1;) {
            sha256.update(buffer, 0, n);
            size += n;
        }
        return new ImageFacts(size, sha256.digest());
    }

    /** Measures a file. */
    public static ImageFacts of(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return of(in);
        }
    }

    /** A JDK SHA-256 digest: it uses the CPU's SHA extensions, several times faster than a pure-Java one. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
