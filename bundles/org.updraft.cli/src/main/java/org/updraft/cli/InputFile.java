package org.updraft.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks of files the user names, so that a missing or unreadable one is a usage error naming it. */
final class InputFile {

    private InputFile() {
    }

    /** Names {@code what} ("firmware file", "manifest") when {@code file} cannot be read. */
    static void checkReadable(String what, Path file) throws UsageException {
        if (!Files.exists(file)) {
            throw new UsageException(what + " " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new UsageException(what + " " + file + " is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new UsageException(what + " " + file + " is not readable");
        }
    }
}
