package org.updraft.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.updraft.api.delta.DeltaException;

/**
 * Large results (patches, images) streamed to a temporary file next to their name, which then takes the name in
 * one step, as {@link OutputFile} does for small ones: a failure or a refusal leaves nothing behind.
 */
final class StreamedFile {

    private StreamedFile() {
    }

    static void write(Path file, boolean replace, DeltaCommand.Body body)
            throws IOException, DeltaException, UsageException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the platform's default permissions apply
            }
            try (OutputStream stream = Files.newOutputStream(tmp)) {
                body.write(stream);
            }
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
                    throw new UsageException(file + " already exists; refusing to overwrite it (use --force to "
                            + "replace it)");
                } catch (UnsupportedOperationException | FileSystemException e) {
                    try {
                        Files.move(tmp, file);
                    } catch (FileAlreadyExistsException taken) {
                        throw new UsageException(file + " already exists; refusing to overwrite it (use --force to "
                                + "replace it)");
                    }
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
