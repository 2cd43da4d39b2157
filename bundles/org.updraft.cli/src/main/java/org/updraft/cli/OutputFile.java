package org.updraft.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.updraft.core.io.AtomicFile;

/** Result files of the CLI: checked before any work, then written whole or not at all ({@link AtomicFile}). */
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
        // what this tool writes (manifests, proofs) is public
        try {
            if (replace) {
                AtomicFile.replace(file, bytes, "rw-r--r--");
            } else {
                AtomicFile.create(file, bytes, "rw-r--r--");
            }
        } catch (FileAlreadyExistsException e) {
            throw new UsageException(file + " already exists; refusing to overwrite it (use --force to replace it)");
        }
    }
}
