package org.updraft.storage.ipfs.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a pinning service's access token from its file. The token is a secret: it is never logged or put into a
 * message, and a file others can read is reported (not refused: the operator may have reasons).
 */
final class PinningTokens {

    private static final Logger LOG = LoggerFactory.getLogger(PinningTokens.class);

    private PinningTokens() {
    }

    /**
     * @throws IllegalArgumentException naming the file when it is not set, cannot be read or holds no token
     */
    static String read(String file) {
        if (file == null || file.isBlank()) {
            throw new IllegalArgumentException("pinning.service.token.file is not set: put the access token in a "
                    + "file readable by the Karaf user only and name it there");
        }
        Path path = Path.of(file.strip());
        String token;
        try {
            token = Files.readString(path, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the access token file " + path + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        if (token.isEmpty()) {
            throw new IllegalArgumentException("the access token file " + path + " is empty");
        }
        if (token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException("the access token file " + path
                    + " must hold the token alone, on one line, in printable ASCII");
        }
        if (readableByOthers(path)) {
            LOG.warn("The access token file {} can be read by its group or by others: chmod 600 it", path);
        }
        return token;
    }

    /** Whether group or others may read the file; false where the file system has no POSIX permissions. */
    static boolean readableByOthers(Path path) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
            return permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ);
        } catch (UnsupportedOperationException | IOException e) {
            return false;
        }
    }
}
