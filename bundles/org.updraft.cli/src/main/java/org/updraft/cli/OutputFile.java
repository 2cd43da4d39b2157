package org.updraft.cli;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a result file whole or not at all: the bytes go to a temporary file next to it, which then takes the
 * target's name in one step. A reader never sees half a manifest, and a failure leaves no debris.
 */
final class OutputFile {

    private OutputFile() {
    }

    /** Refuses early, before any work, when the file exists and may not be replaced. */
    static void checkWritable(Path file, boolean replace, String what) throws UsageException {
        if (Files.isDirectory(file)) {
            throw new UsageException(file + " is a directory; give a file name for the " + what);
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UsageException("cannot write the " + what + " to " + file + ": directory " + dir
                    + " does not exist");
        }
        if (!replace && Files.exists(file)) {
            throw new UsageException(file + " already exists; refusing to overwrite it (use --force to replace it)");
        }
    }

    /**
     * Writes {@code bytes} to {@code file} atomically.
     *
     * @param replace replace an existing file; otherwise an existing file is an error, even one that appeared
     *        while this command ran
     */
    static void write(Path file, byte[] bytes, boolean replace) throws IOException, UsageException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try {
                // createTempFile makes it private; what this tool writes (manifests, proofs) is public
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            Files.write(tmp, bytes);
            if (replace) {
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } else {
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
            }
        } catch (FileAlreadyExistsException e) {
            throw new UsageException(file + " already exists; refusing to overwrite it (use --force to replace it)");
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
