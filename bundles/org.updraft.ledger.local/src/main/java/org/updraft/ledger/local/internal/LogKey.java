package org.updraft.ledger.local.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;

/** The log's signing key: generated into a PEM file at first start, read from it afterwards. */
final class LogKey {

    private static final Logger LOG = LoggerFactory.getLogger(LogKey.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);

    private LogKey() {
    }

    static SigningKey loadOrCreate(Path file) throws LedgerException {
        try {
            if (Files.exists(file)) {
                SigningKey key = KeyFiles.readPrivateKey(file, null);
                warnIfShared(file);
                return key;
            }
            SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
            KeyFiles.writePrivateKey(file, key, null);
            // Checkpoints signed with this key are synced to disk; the key must be too, or a power failure
            // could leave signed checkpoints and no key.
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.force(true);
            }
            RecordFile.syncDirectory(file.toAbsolutePath().getParent());
            LOG.info("Generated the ledger's log key {} into {}", key.did(), file);
            return key;
        } catch (KeyFileException e) {
            throw new LedgerException("cannot use the log key: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new LedgerException("cannot write the log key " + file + ": " + e, e);
        }
    }

    private static void warnIfShared(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(permissions)) {
                LOG.warn("The log key file {} is readable by others ({}); it should be readable by its owner only"
                        + " (chmod 600)", file, permissions);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
