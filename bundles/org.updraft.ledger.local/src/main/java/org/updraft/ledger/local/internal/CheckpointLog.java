package org.updraft.ledger.local.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.InvalidCheckpointException;

/**
 * Every checkpoint the log has issued, in a {@link RecordFile} of signed envelopes, with their tree sizes and
 * offsets in memory. A checkpoint is durable before anyone sees it, so a log can never be caught signing two
 * different roots for one size after a restart.
 */
final class CheckpointLog implements AutoCloseable {

    private static final String MAGIC = "UPDCKPT1";
    private static final long MAX_BATCH = RecordFile.frameSize(CheckpointCodec.MAX_CHECKPOINT_BYTES);

    private final RecordFile file;
    private final String origin;
    private final LongColumn treeSizes;
    private final LongColumn offsets;
    private volatile long count;
    private Checkpoint latest;

    private CheckpointLog(RecordFile file, String origin, LongColumn treeSizes, LongColumn offsets, Checkpoint latest) {
        this.file = file;
        this.origin = origin;
        this.treeSizes = treeSizes;
        this.offsets = offsets;
        this.latest = latest;
        this.count = treeSizes.size();
    }

    static CheckpointLog open(Path path, String origin) throws LedgerException {
        LongColumn treeSizes = new LongColumn();
        LongColumn offsets = new LongColumn();
        Checkpoint[] latest = new Checkpoint[1];
        RecordFile file = RecordFile.open(path, MAGIC, "checkpoint", CheckpointCodec.MAX_CHECKPOINT_BYTES, MAX_BATCH,
                0, (index, offset, body) -> {
                    Checkpoint c;
                    try {
                        c = CheckpointCodec.parse(body);
                    } catch (InvalidCheckpointException e) {
                        throw new LedgerException(path + ": checkpoint " + index + " at offset " + offset
                                + " is unreadable: " + e.getMessage());
                    }
                    if (!c.origin().equals(origin)) {
                        throw new LedgerException(path + " holds checkpoints of the log '" + c.origin()
                                + "', but this ledger is configured as '" + origin + "'; a log's origin must not"
                                + " change, devices check it");
                    }
                    if (latest[0] != null && c.treeSize() <= latest[0].treeSize()) {
                        throw new LedgerException(path + ": checkpoint " + index + " at offset " + offset
                                + " covers " + c.treeSize() + " events, no more than the one before it");
                    }
                    treeSizes.append(c.treeSize());
                    offsets.append(offset);
                    latest[0] = c;
                });
        return new CheckpointLog(file, origin, treeSizes, offsets, latest[0]);
    }

    /** Number of checkpoints issued. */
    long count() {
        return count;
    }

    long treeSize(long i) {
        return treeSizes.get(i);
    }

    /** The {@code i}-th checkpoint issued, read back from the file. */
    Checkpoint read(long i) throws IOException {
        long offset = offsets.get(i);
        byte[] envelope = file.readBody(offset, i);
        try {
            return CheckpointCodec.parse(envelope);
        } catch (InvalidCheckpointException e) {
            throw file.corrupt(offset, i, e.getMessage());
        }
    }

    synchronized Checkpoint latest() {
        return latest;
    }

    /** Root of the first {@code treeSize} events, computed only when a new checkpoint is needed. */
    @FunctionalInterface
    interface RootSource {
        byte[] rootHash(long treeSize) throws LedgerException;
    }

    /**
     * The checkpoint for {@code treeSize}: the latest one when it already covers that size, otherwise a new one,
     * signed and written (and synced when {@code sync}) before it is returned.
     */
    synchronized Checkpoint issue(long treeSize, RootSource roots, SigningKey key, boolean sync)
            throws LedgerException {
        if (latest != null && latest.treeSize() >= treeSize) {
            return latest;
        }
        Instant now = Instant.now();
        if (latest != null && now.isBefore(latest.timestamp())) {
            now = latest.timestamp(); // the clock stepped back; checkpoint times never do
        }
        Checkpoint c = CheckpointCodec.sign(origin, treeSize, roots.rootHash(treeSize), now, key);
        byte[] envelope = c.envelope();
        byte[] frame = new byte[RecordFile.frameSize(envelope.length)];
        long index = count;
        long offset = file.end();
        RecordFile.writeFrame(frame, 0, index, true, envelope, null);
        try {
            file.append(frame, frame.length, sync);
        } catch (ClosedChannelException e) {
            throw new LedgerException("the local ledger is closed");
        } catch (IOException e) {
            boolean restored = file.discardFailedAppend();
            throw new LedgerException("cannot store a new checkpoint in " + file.path() + ": " + e
                    + (restored ? "" : "; the file's tail could not be restored"), e);
        }
        treeSizes.append(treeSize);
        offsets.append(offset);
        count = index + 1;
        latest = c;
        return c;
    }

    /** Up to {@code max} checkpoints with a tree size of at least {@code fromTreeSize}, oldest first. */
    List<Checkpoint> from(long fromTreeSize, int max) throws IOException {
        long n = count;
        long lo = 0;
        long hi = n;
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            if (treeSizes.get(mid) < fromTreeSize) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        List<Checkpoint> out = new ArrayList<>();
        for (long i = lo; i < n && out.size() < max; i++) {
            out.add(read(i));
        }
        return out;
    }

    @Override
    public synchronized void close() {
        file.close();
    }
}
