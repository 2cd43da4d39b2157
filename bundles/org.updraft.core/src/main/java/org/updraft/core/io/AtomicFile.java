package org.updraft.core.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file whole or not at all: the bytes go to a temporary file next to it, which then takes the
 * target's name in one step. A reader never sees half a key or half a manifest, and a failure leaves no
 * debris.
 */
public final class AtomicFile {

    private AtomicFile() {
    }

    /**
     * Creates {@code file}; an existing file, even one that appears while this runs, is never replaced.
     *
     * @param posixPermissions e.g. {@code rw-------}, or {@code null} to keep those of a new temporary file
     *        (owner only)
     * @throws FileAlreadyExistsException when the name is taken
     */
    public static void create(Path file, byte[] bytes, String posixPermissions) throws IOException {
        Path tmp = temporary(file, bytes, posixPermissions);
        try {
            try {
                // a hard link appears atomically and, unlike rename, fails when the name is taken
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (UnsupportedOperationException | FileSystemException e) {
                // no hard links here (FAT, some network file systems): a plain move, which also refuses an
                // existing target, if not atomically
                Files.move(tmp, file);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code file}, replacing it if it exists. */
    public static void replace(Path file, byte[] bytes, String posixPermissions) throws IOException {
        Path tmp = temporary(file, bytes, posixPermissions);
        try {
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Path temporary(Path file, byte[] bytes, String posixPermissions) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
        try {
            if (posixPermissions != null) {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(posixPermissions));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: the platform's default permissions apply
                }
            }
            Files.write(tmp, bytes);
            return tmp;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
