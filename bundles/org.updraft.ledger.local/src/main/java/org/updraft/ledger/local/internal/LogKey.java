package org.updraft.ledger.local.internal;

import java.nio.file.Path;

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

    private LogKey() {
    }

    static SigningKey loadOrCreate(Path file) throws LedgerException {
        try {
            KeyFiles.PlatformKey key = KeyFiles.readOrGenerate(file, KeyAlgorithm.ED25519);
            if (key.generated()) {
                LOG.info("Generated the ledger's log key {} into {}", key.key().did(), file);
            } else if (KeyFiles.openToOthers(file)) {
                LOG.warn("The log key file {} is readable by others; it should be readable by its owner only"
                        + " (chmod 600)", file);
            }
            return key.key();
        } catch (KeyFileException e) {
            throw new LedgerException("cannot use the log key: " + e.getMessage(), e);
        }
    }
}
