package org.updraft.core.log;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.identity.VerificationKey;

/**
 * Recomputes a whole ledger from its events and checks it against every checkpoint the log has issued: each
 * event's leaf hash, each checkpoint's signature and root. Checkpoints were handed to devices, so they are
 * commitments: an event altered, inserted or removed after a checkpoint was issued shows here. The audit stops
 * at the first inconsistency and names it.
 */
public final class LedgerAudit {

    /**
     * What the audit found.
     *
     * @param events events checked
     * @param checkpoints checkpoints checked
     * @param rootHash the recomputed root over all events
     * @param firstInconsistency what is wrong, first, or {@code null} when the log is consistent
     */
    public record Result(long events, long checkpoints, byte[] rootHash, String firstInconsistency) {

        public boolean consistent() {
            return firstInconsistency == null;
        }
    }

    private static final int PAGE = 1000;

    private LedgerAudit() {
    }

    /**
     * Audits the ledger.
     *
     * @param progress told the number of events checked so far, every few thousand; may be {@code null}
     * @throws LedgerException when the ledger cannot be read at all
     */
    public static Result audit(Ledger ledger, LongConsumer progress) throws LedgerException {
        VerificationKey logKey = VerificationKey.fromDid(ledger.logKey());
        List<Checkpoint> checkpoints = issuedCheckpoints(ledger);
        Checkpoint latest = ledger.checkpoint();
        checkpoints.add(latest);
        checkpoints.sort(Comparator.comparingLong(Checkpoint::treeSize));

        for (Checkpoint c : checkpoints) {
            try {
                CheckpointCodec.verify(c.envelope(), logKey);
            } catch (InvalidCheckpointException e) {
                return new Result(0, 0, null, describe(c) + " does not verify under the log key: " + e.getMessage());
            }
        }

        long size = latest.treeSize();
        Checkpoint largest = checkpoints.get(checkpoints.size() - 1);
        if (largest.treeSize() > size) {
            return new Result(0, 0, null, describe(largest) + " covers more events than the log holds now ("
                    + size + "): events were lost");
        }
        MerkleFrontier frontier = new MerkleFrontier();
        int nextCheckpoint = 0;
        // the size of the last checkpoint that matched: an alteration lies after it
        long matched = 0;
        while (nextCheckpoint < checkpoints.size() && checkpoints.get(nextCheckpoint).treeSize() == 0) {
            String problem = compare(checkpoints.get(nextCheckpoint++), frontier, matched);
            if (problem != null) {
                return new Result(0, nextCheckpoint, frontier.rootHash(), problem);
            }
        }
        for (long index = 0; index < size;) {
            List<LedgerEntry> page;
            try {
                page = ledger.read(index, PAGE);
            } catch (LedgerException e) {
                long bad = firstUnreadable(ledger, index, Math.min(size, index + PAGE));
                return new Result(bad, nextCheckpoint, frontier.rootHash(), "event #" + bad + " cannot be read: "
                        + e.getMessage());
            }
            if (page.isEmpty()) {
                return new Result(index, nextCheckpoint, frontier.rootHash(), "the log ends at event #" + index
                        + " but its checkpoint covers " + size + " events: events were lost");
            }
            for (LedgerEntry entry : page) {
                if (entry.index() != index) {
                    return new Result(index, nextCheckpoint, frontier.rootHash(), "expected event #" + index
                            + " but the log returned #" + entry.index());
                }
                byte[] leaf = LedgerEventCodec.leafHash(entry.event());
                if (!MessageDigest.isEqual(leaf, entry.leafHash())) {
                    return new Result(index, nextCheckpoint, frontier.rootHash(), "event #" + index
                            + " does not match its recorded leaf hash: it was altered after it was appended");
                }
                frontier.append(leaf);
                index++;
                while (nextCheckpoint < checkpoints.size()
                        && checkpoints.get(nextCheckpoint).treeSize() == frontier.size()) {
                    String problem = compare(checkpoints.get(nextCheckpoint++), frontier, matched);
                    if (problem != null) {
                        return new Result(index, nextCheckpoint, frontier.rootHash(), problem);
                    }
                    matched = frontier.size();
                }
                if (index == size) {
                    break;
                }
            }
            if (progress != null) {
                progress.accept(index);
            }
        }
        return new Result(size, checkpoints.size(), frontier.rootHash(), null);
    }

    /** Reads one event at a time to name the first that fails, when a page of them did. */
    private static long firstUnreadable(Ledger ledger, long from, long to) {
        for (long i = from; i < to; i++) {
            try {
                ledger.get(i);
            } catch (LedgerException e) {
                return i;
            }
        }
        return from;
    }

    private static List<Checkpoint> issuedCheckpoints(Ledger ledger) throws LedgerException {
        List<Checkpoint> all = new ArrayList<>();
        long from = 0;
        while (true) {
            List<Checkpoint> page = ledger.checkpoints(from, PAGE);
            all.addAll(page);
            if (page.size() < PAGE) {
                return all;
            }
            from = page.get(page.size() - 1).treeSize() + 1;
        }
    }

    private static String compare(Checkpoint c, MerkleFrontier frontier, long matched) {
        if (MessageDigest.isEqual(c.rootHash(), frontier.rootHash())) {
            return null;
        }
        return describe(c) + " does not match the events: an event from #" + matched + " to #"
                + (c.treeSize() - 1) + " was altered, inserted or removed after it was signed";
    }

    private static String describe(Checkpoint c) {
        return "the checkpoint of " + c.treeSize() + " events signed at " + c.timestamp();
    }
}
