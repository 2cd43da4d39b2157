package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.CheckpointAnchor;
import org.updraft.api.ledger.CheckpointAnchors;
import org.updraft.api.ledger.Ledger;
import org.updraft.core.log.InvalidProofException;
import org.updraft.core.log.LedgerAudit;
import org.updraft.core.log.MerkleTree;

@Command(scope = "updraft", name = "ledger-verify", description = "Recomputes the whole ledger from its events and "
        + "checks every checkpoint the log has issued; names the first inconsistency")
@Service
public class LedgerVerifyCommand extends UpdraftCommand {

    @Option(name = "--chain", description = "Also check every checkpoint anchored on the EVM chain against the local "
            + "log with consistency proofs, and name the first the local log no longer extends (updraft-ledger-evm)")
    boolean chain;

    /** A ledger of the test's own; null in the shell, where the command uses the selected one. */
    private Ledger ledger;

    /** The checkpoints a ledger backend anchored on a chain (the EVM ledger's). */
    @Reference(optional = true)
    CheckpointAnchors checkpointAnchors;

    /** For Karaf, which fills the fields. */
    public LedgerVerifyCommand() {
    }

    /** The command as {@code updraft:ledger-verify [--chain]} runs it, for tests with a ledger of their own. */
    public LedgerVerifyCommand(Ledger ledger, CheckpointAnchors checkpointAnchors, boolean chain) {
        this.ledger = ledger;
        this.checkpointAnchors = checkpointAnchors;
        this.chain = chain;
    }

    @Override
    protected Object run() throws Exception {
        Ledger log = ledger != null ? ledger : selected(Ledger.class, Ledger.SELECTED, "ledger", "updraft-ledger-local");
        long total = log.size();
        ProgressBar bar = new ProgressBar(System.out, "Verifying", n -> n + " events");
        LedgerAudit.Result result;
        try {
            result = LedgerAudit.audit(log, done -> bar.bytesStored(done, total));
        } finally {
            bar.finish();
        }
        if (!result.consistent()) {
            throw refused("ledger INCONSISTENT: " + result.firstInconsistency());
        }
        System.out.println("Ledger consistent: " + result.events() + " events, " + result.checkpoints()
                + " checkpoints verified, root " + Format.hex(result.rootHash()));
        System.out.println("  log key " + log.logKey());
        if (chain) {
            verifyChain(log);
        }
        return null;
    }

    /**
     * Every anchored checkpoint must be a prefix of the local log as it is now: a consistency proof from its tree to
     * the whole log, checked against the root the chain holds. An event altered, removed or inserted before an
     * anchored checkpoint breaks that proof, however the local files were re-signed.
     */
    private void verifyChain(Ledger log) throws Exception {
        List<CheckpointAnchor> anchored = Services.require(checkpointAnchors, "EVM ledger", "updraft-ledger-evm")
                .anchored();
        Checkpoint head = log.checkpoint();
        for (CheckpointAnchor c : anchored) {
            if (c.treeSize() > head.treeSize()) {
                throw refused("ledger does NOT MATCH the chain: " + c + " covers "
                        + c.treeSize() + " events, the local log holds " + head.treeSize() + ": events were removed");
            }
            try {
                MerkleTree.verifyConsistency(log.consistencyProof(c.treeSize(), head.treeSize()), c.rootHash(),
                        head.rootHash());
            } catch (InvalidProofException e) {
                throw refused("ledger does NOT MATCH the chain: " + c + ", tree size "
                        + c.treeSize() + ", root " + Format.hex(c.rootHash()) + ", is not a prefix of the local log: "
                        + e.getMessage());
            }
        }
        System.out.println("Chain: " + anchored.size() + " anchored checkpoints consistent with the local log"
                + (anchored.isEmpty() ? "" : " (the newest covers " + anchored.get(anchored.size() - 1).treeSize()
                        + " events)"));
    }
}
