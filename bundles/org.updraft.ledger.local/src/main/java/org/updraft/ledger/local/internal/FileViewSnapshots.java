package org.updraft.ledger.local.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.io.AtomicFile;
import org.updraft.core.log.ViewSnapshot;

/**
 * The views' snapshots of the local log: one file per view, {@code views/<view>.snapshot} in the log's directory,
 * replaced atomically, sealed under the log key. Only this node writes the log, so the newest save is the newest
 * snapshot.
 */
final class FileViewSnapshots implements ViewSnapshots {

    static final String DIRECTORY = "views";
    /** The largest snapshot read back: a file larger than that is not a snapshot this platform wrote. */
    private static final long MAX_BYTES = 1L << 30;

    private final Path directory;
    private final SigningKey key;
    private final long everyEvents;
    private final long everySeconds;

    FileViewSnapshots(Path ledgerDirectory, SigningKey key, long everyEvents, long everySeconds) {
        this.directory = ledgerDirectory.resolve(DIRECTORY);
        this.key = key;
        this.everyEvents = Math.max(0, everyEvents);
        this.everySeconds = Math.max(0, everySeconds);
    }

    @Override
    public long everyEvents() {
        return everyEvents;
    }

    @Override
    public long everySeconds() {
        return everySeconds;
    }

    @Override
    public void save(String view, long treeSize, byte[] snapshot) throws LedgerException {
        Path file = file(view);
        try {
            Files.createDirectories(directory);
            AtomicFile.replace(file, ViewSnapshot.seal(snapshot, key), "rw-------");
        } catch (IOException e) {
            throw new LedgerException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<byte[]> load(String view) throws LedgerException {
        Path file = file(view);
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new LedgerException(file + " is larger than any snapshot (" + MAX_BYTES + " bytes)");
            }
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new LedgerException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private Path file(String view) throws LedgerException {
        if (!ViewSnapshot.validName(view)) {
            throw new LedgerException("not a view name: " + view);
        }
        return directory.resolve(view + ".snapshot");
    }
}
