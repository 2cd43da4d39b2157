package org.updraft.ledger.local.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.core.config.DataPaths;

/** The embedded ledger service ({@code ledger.kind=local}): a {@link FileLedger} opened from configuration. */
@Component(service = Ledger.class, property = Ledger.KIND + "=local", configurationPid = LocalLedger.PID)
@Designate(ocd = LocalLedgerConfig.class)
public final class LocalLedger implements Ledger {

    public static final String PID = "org.updraft.ledger.local";

    private final FileLedger log;

    @Activate
    public LocalLedger(LocalLedgerConfig config) throws LedgerException {
        this.log = FileLedger.open(path(config.directory(), "directory"), path(config.key_file(), "key.file"),
                config.origin(), config.fsync());
        log.keepSnapshots(config.snapshot_events(), config.snapshot_seconds());
    }

    private static Path path(String configured, String property) throws LedgerException {
        try {
            return DataPaths.resolve(configured);
        } catch (IllegalArgumentException e) {
            throw new LedgerException("configuration " + PID + ": '" + property + "' " + e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        log.close();
    }

    @Override
    public AppendReceipt append(LedgerEvent event) throws LedgerException {
        return log.append(event);
    }

    @Override
    public long size() throws LedgerException {
        return log.size();
    }

    @Override
    public LedgerEntry get(long index) throws LedgerException {
        return log.get(index);
    }

    @Override
    public List<LedgerEntry> read(long fromIndex, int max) throws LedgerException {
        return log.read(fromIndex, max);
    }

    @Override
    public Checkpoint checkpoint() throws LedgerException {
        return log.checkpoint();
    }

    @Override
    public List<Checkpoint> checkpoints(long fromTreeSize, int max) throws LedgerException {
        return log.checkpoints(fromTreeSize, max);
    }

    @Override
    public InclusionProof inclusionProof(long index, long treeSize) throws LedgerException {
        return log.inclusionProof(index, treeSize);
    }

    @Override
    public ConsistencyProof consistencyProof(long firstSize, long secondSize) throws LedgerException {
        return log.consistencyProof(firstSize, secondSize);
    }

    @Override
    public String logKey() throws LedgerException {
        return log.logKey();
    }

    @Override
    public Optional<ViewSnapshots> snapshots() {
        return log.snapshots();
    }
}
