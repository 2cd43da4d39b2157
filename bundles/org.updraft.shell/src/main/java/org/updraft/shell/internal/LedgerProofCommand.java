package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.release.ReleaseService;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MerkleTree;

@Command(scope = "updraft", name = "ledger-proof", description = "Shows the inclusion proof of an event in the "
        + "latest signed checkpoint, verified as a device verifies it")
@Service
public class LedgerProofCommand extends UpdraftCommand {

    @Argument(index = 0, name = "index", description = "The event's index (or use --release)")
    Long index;

    @Option(name = "--release", description = "Prove the release.published event of this release instead")
    @Completion(ReleaseIdCompleter.class)
    String release;


    @Reference(optional = true)
    ReleaseService releases;

    @Override
    protected Object run() throws Exception {
        Ledger log = selected(Ledger.class, Ledger.SELECTED, "ledger", "updraft-ledger-local");
        if ((index == null) == (release == null)) {
            throw new IllegalArgumentException("give either an event index or --release ID");
        }
        long target = release == null ? index : -1;
        if (release != null) {
            target = Services.require(releases, "release service", "updraft").find(release)
                    .orElseThrow(() -> new IllegalArgumentException("no release " + release + " is published"))
                    .ledgerIndex();
        }
        Checkpoint checkpoint = log.checkpoint();
        if (target < 0 || target >= checkpoint.treeSize()) {
            throw new IllegalArgumentException("no event #" + target + ": the ledger holds " + checkpoint.treeSize()
                    + " events");
        }
        LedgerEntry entry = log.get(target);
        InclusionProof proof = log.inclusionProof(target, checkpoint.treeSize());
        // check it exactly as a device does: the signed checkpoint under the log key, then the path to its root
        CheckpointCodec.verify(checkpoint.envelope(), log.logKey());
        byte[] leaf = LedgerEventCodec.leafHash(entry.event());
        MerkleTree.verifyInclusion(proof, leaf, checkpoint.rootHash());

        System.out.println("Event #" + target + " " + entry.event().type() + " — "
                + LedgerTailCommand.summary(entry.event()));
        System.out.println(String.format("  %-11s %s", "leaf hash", Format.hex(leaf)));
        List<byte[]> path = proof.path();
        for (int i = 0; i < path.size(); i++) {
            System.out.println(String.format("  %-11s %s", i == 0 ? "audit path" : "", Format.hex(path.get(i))));
        }
        System.out.println(String.format("  %-11s %d events, root %s", "checkpoint", checkpoint.treeSize(),
                Format.hex(checkpoint.rootHash())));
        System.out.println(String.format("  %-11s %s, %s", "signed", Format.time(checkpoint.timestamp()),
                checkpoint.origin()));
        System.out.println(String.format("  %-11s %s", "log key", log.logKey()));
        System.out.println("Proof verified: the event is in the signed checkpoint.");
        return null;
    }
}
