package org.updraft.platform.internal;

import java.util.List;
import java.util.Optional;

import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;

/** The ledger platform components use ({@link Ledger#SELECTED}): every call goes to the chosen backend. */
final class SelectedLedger implements Ledger {

    private final BackendSelection<Ledger> selection;

    SelectedLedger(BackendSelection<Ledger> selection) {
        this.selection = selection;
    }

    private Ledger backend() throws LedgerException {
        Ledger l = selection.chosen();
        if (l == null) {
            throw new BackendNotRunningException(selection.notRunning());
        }
        return l;
    }

    @Override
    public AppendReceipt append(LedgerEvent event) throws LedgerException {
        return backend().append(event);
    }

    @Override
    public long size() throws LedgerException {
        return backend().size();
    }

    @Override
    public LedgerEntry get(long index) throws LedgerException {
        return backend().get(index);
    }

    @Override
    public List<LedgerEntry> read(long fromIndex, int max) throws LedgerException {
        return backend().read(fromIndex, max);
    }

    @Override
    public Checkpoint checkpoint() throws LedgerException {
        return backend().checkpoint();
    }

    @Override
    public List<Checkpoint> checkpoints(long fromTreeSize, int max) throws LedgerException {
        return backend().checkpoints(fromTreeSize, max);
    }

    @Override
    public InclusionProof inclusionProof(long index, long treeSize) throws LedgerException {
        return backend().inclusionProof(index, treeSize);
    }

    @Override
    public ConsistencyProof consistencyProof(long firstSize, long secondSize) throws LedgerException {
        return backend().consistencyProof(firstSize, secondSize);
    }

    @Override
    public String logKey() throws LedgerException {
        return backend().logKey();
    }

    /** The chosen backend's: a view's snapshots are kept with the log they were taken of. */
    @Override
    public Optional<ViewSnapshots> snapshots() {
        Ledger l = selection.chosen();
        return l == null ? Optional.empty() : l.snapshots();
    }

    /** The chosen backend's, so that decisions are taken on the ledger the platform appends to; empty while none runs. */
    @Override
    public Optional<DecisionLeases> decisions() {
        Ledger l = selection.chosen();
        return l == null ? Optional.empty() : l.decisions();
    }

    @Override
    public String toString() {
        return "selected ledger (" + selection.kind() + ")";
    }
}
