package org.updraft.ledger.local.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.InvalidCheckpointException;
import org.updraft.core.log.InvalidEventException;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.log.SubtreeHashes;
import org.updraft.ledger.local.internal.GroupCommit.PendingAppend;

/**
 * The local transparency log on files in one directory:
 * <ul>
 * <li>{@code events.log}: one frame per event holding its leaf hash and its leaf bytes
 * ({@link LedgerEventCodec}), appended by {@link GroupCommit};</li>
 * <li>{@code checkpoints.log}: every checkpoint issued ({@link CheckpointLog});</li>
 * <li>{@code ledger.lock}: held while open, so two processes never append to one log.</li>
 * </ul>
 * Opening reads everything once: it checks every frame and every leaf hash, cuts a torn tail, rebuilds the
 * in-memory upper tree ({@link SubtreeCache}) and the offset of every 16th event, and checks each issued
 * checkpoint's root against the events. Readers see only events that are durable.
 */
public final class FileLedger implements Ledger, AutoCloseable {

    static final String EVENTS_FILE = "events.log";
    static final String CHECKPOINTS_FILE = "checkpoints.log";
    static final String LOCK_FILE = "ledger.lock";
    private static final String EVENTS_MAGIC = "UPDEVTS1";
    /** A commit batch writes at most this much (one larger event still goes alone). */
    static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;
    private static final int MAX_BODY = MerkleHash.SIZE + LedgerEventCodec.MAX_EVENT_BYTES;
    private static final int READ_WINDOW = 64 * 1024;
    private static final String CLOSED = "the local ledger is closed";

    private static final Logger LOG = LoggerFactory.getLogger(FileLedger.class);
    private static final HexFormat HEX = HexFormat.of();

    /** What readers may see: the durable events and where they end. */
    private record Head(long size, long end) {
    }

    private final Path directory;
    private final String origin;
    private final SigningKey key;
    private final boolean sync;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final CheckpointLog checkpoints;
    private final RecordFile events;
    private final LongColumn blockOffsets;
    private final SubtreeCache tree;
    private final GroupCommit commit;
    private volatile Optional<ViewSnapshots> snapshots = Optional.empty();
    private volatile Head head;
    private volatile boolean closed;
    private volatile long commits; // batches written, for measurements
    private byte[] batchBuffer = new byte[64 * 1024]; // leaders only, handed on under GroupCommit's lock

    private FileLedger(Path directory, String origin, SigningKey key, boolean sync, FileChannel lockChannel,
            FileLock lock, CheckpointLog checkpoints, RecordFile events, LongColumn blockOffsets, SubtreeCache tree) {
        this.directory = directory;
        this.origin = origin;
        this.key = key;
        this.sync = sync;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.checkpoints = checkpoints;
        this.events = events;
        this.blockOffsets = blockOffsets;
        this.tree = tree;
        this.head = new Head(events.countAtOpen(), events.end());
        this.commit = new GroupCommit(new BatchWriter(), MAX_BATCH_BYTES);
    }

    /**
     * Opens the log in {@code directory}, creating it (and the log key) when missing.
     *
     * @param keyFile PEM file of the log key; generated when it does not exist
     * @param origin the log's name, put in every checkpoint; must not change over the log's life
     * @param sync whether appends and checkpoints are synced to disk before they are acknowledged
     * @throws LedgerException when the files are damaged (naming the file, offset and record), locked by another
     *         process, or unreadable
     */
    public static FileLedger open(Path directory, Path keyFile, String origin, boolean sync) throws LedgerException {
        long started = System.nanoTime();
        if (origin == null || origin.isBlank()) {
            throw new LedgerException("the ledger needs an origin name");
        }
        FileChannel lockChannel = null;
        CheckpointLog checkpoints = null;
        RecordFile events = null;
        try {
            Files.createDirectories(directory);
            lockChannel = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new LedgerException("the ledger in " + directory + " is already open (in this or another process)");
            }
            SigningKey key = LogKey.loadOrCreate(keyFile);
            checkpoints = CheckpointLog.open(directory.resolve(CHECKPOINTS_FILE), origin);
            checkSigner(checkpoints, key);

            LongColumn blockOffsets = new LongColumn();
            SubtreeCache tree = new SubtreeCache();
            CheckpointAudit audit = new CheckpointAudit(checkpoints);
            audit.check(tree);
            long acknowledged = checkpoints.count() == 0 ? 0 : checkpoints.treeSize(checkpoints.count() - 1);
            Path eventsPath = directory.resolve(EVENTS_FILE);
            events = RecordFile.open(eventsPath, EVENTS_MAGIC, "event", MAX_BODY, MAX_BATCH_BYTES, acknowledged,
                    (index, offset, body) -> {
                        if (body.length <= MerkleHash.SIZE) {
                            throw new LedgerException(eventsPath + ": event " + index + " at offset " + offset
                                    + " has no event bytes");
                        }
                        byte[] stored = Arrays.copyOf(body, MerkleHash.SIZE);
                        byte[] computed = MerkleHash.leafHash(body, MerkleHash.SIZE, body.length - MerkleHash.SIZE);
                        if (!Arrays.equals(stored, computed)) {
                            throw new LedgerException(eventsPath + ": event " + index + " at offset " + offset
                                    + " does not match its stored leaf hash; the event was altered");
                        }
                        if (index % SubtreeCache.BLOCK == 0) {
                            blockOffsets.append(offset);
                        }
                        tree.append(stored);
                        audit.check(tree);
                    });
            if (audit.next < checkpoints.count()) {
                throw new LedgerException(eventsPath + " holds " + tree.size() + " events, but checkpoint "
                        + audit.next + " covers " + checkpoints.treeSize(audit.next)
                        + ": acknowledged events are missing. Restore the files from a backup");
            }
            FileLedger ledger = new FileLedger(directory, origin, key, sync, lockChannel, lock, checkpoints, events,
                    blockOffsets, tree);
            LOG.info("Ledger '{}' in {} open: {} events, {} checkpoints, log key {} ({} ms){}", origin, directory,
                    tree.size(), checkpoints.count(), key.did(), (System.nanoTime() - started) / 1_000_000,
                    sync ? "" : "; fsync is OFF, acknowledged events can be lost in a power failure");
            return ledger;
        } catch (IOException e) {
            closeAll(events, checkpoints, lockChannel);
            throw new LedgerException("cannot open the ledger in " + directory + ": " + e, e);
        } catch (LedgerException | RuntimeException e) {
            closeAll(events, checkpoints, lockChannel);
            throw e;
        }
    }

    /** The latest checkpoint must verify with the log key: a replaced key file would split the log's identity. */
    private static void checkSigner(CheckpointLog checkpoints, SigningKey key) throws LedgerException {
        Checkpoint latest = checkpoints.latest();
        if (latest == null) {
            return;
        }
        try {
            CheckpointCodec.verify(latest.envelope(), key.verificationKey());
        } catch (InvalidCheckpointException e) {
            throw new LedgerException("the log key does not match this log's checkpoints: " + e.getMessage());
        }
    }

    /** Compares each issued checkpoint's root with the tree rebuilt from the events, as the scan reaches its size. */
    private static final class CheckpointAudit {
        private final CheckpointLog checkpoints;
        private long next;

        CheckpointAudit(CheckpointLog checkpoints) {
            this.checkpoints = checkpoints;
        }

        void check(SubtreeCache tree) throws LedgerException {
            while (next < checkpoints.count() && checkpoints.treeSize(next) == tree.size()) {
                Checkpoint c;
                try {
                    c = checkpoints.read(next);
                } catch (IOException e) {
                    throw new LedgerException(e.getMessage(), e);
                }
                byte[] root = tree.rootHash();
                if (!Arrays.equals(root, c.rootHash())) {
                    throw new LedgerException("checkpoint " + next + " signed root " + HEX.formatHex(c.rootHash())
                            + " for the first " + c.treeSize() + " events, but they hash to " + HEX.formatHex(root)
                            + ": the stored events were changed after it was issued");
                }
                next++;
            }
        }
    }

    // ---------------------------------------------------------------- appending

    @Override
    public AppendReceipt append(LedgerEvent event) throws LedgerException {
        if (event == null) {
            throw new LedgerException("cannot append a missing event");
        }
        checkOpen();
        byte[] bytes;
        try {
            bytes = LedgerEventCodec.encode(event);
        } catch (IllegalArgumentException e) {
            throw new LedgerException("cannot append " + event + ": " + e.getMessage());
        }
        byte[] leafHash = MerkleHash.leafHash(bytes);
        long index = commit.commit(
                new PendingAppend(bytes, leafHash, RecordFile.frameSize(MerkleHash.SIZE + bytes.length)));
        return new AppendReceipt(index, leafHash);
    }

    /** The leader's side of {@link GroupCommit}: one write and one sync per batch, then publication. */
    private final class BatchWriter implements GroupCommit.BatchWriter {

        @Override
        public void write(List<PendingAppend> batch) throws IOException {
            Head before = head;
            int total = 0;
            for (PendingAppend p : batch) {
                total += p.frameSize;
            }
            if (batchBuffer.length < total) {
                batchBuffer = new byte[Math.max(total, batchBuffer.length * 2)];
            }
            long[] offsets = new long[batch.size()];
            int length = 0;
            for (int k = 0; k < batch.size(); k++) {
                PendingAppend p = batch.get(k);
                offsets[k] = before.end + length;
                length += RecordFile.writeFrame(batchBuffer, length, before.size + k, k == 0, p.leafHash, p.bytes);
            }
            events.append(batchBuffer, length, sync);
            // Durable: now the tree, the offsets and the head; readers look only below the head.
            for (int k = 0; k < batch.size(); k++) {
                long index = before.size + k;
                if (index % SubtreeCache.BLOCK == 0) {
                    blockOffsets.append(offsets[k]);
                }
                tree.append(batch.get(k).leafHash);
                batch.get(k).index = index;
            }
            head = new Head(before.size + batch.size(), before.end + length);
            commits++; // only the leader writes it
        }

        @Override
        public boolean discardFailedBatch() {
            return events.discardFailedAppend();
        }
    }

    // ---------------------------------------------------------------- reading

    @Override
    public long size() {
        return head.size;
    }

    @Override
    public LedgerEntry get(long index) throws LedgerException {
        Head h = openHead();
        if (index < 0 || index >= h.size) {
            throw new LedgerException("no event " + index + ": the log holds " + h.size + " events");
        }
        List<LedgerEntry> one = read(h, index, 1);
        return one.get(0);
    }

    @Override
    public List<LedgerEntry> read(long fromIndex, int max) throws LedgerException {
        Head h = openHead();
        if (fromIndex < 0) {
            throw new LedgerException("cannot read from event " + fromIndex + ": indexes start at 0");
        }
        if (max < 0) {
            throw new LedgerException("cannot read " + max + " events");
        }
        if (fromIndex >= h.size || max == 0) {
            return List.of();
        }
        return read(h, fromIndex, (int) Math.min(max, h.size - fromIndex));
    }

    private List<LedgerEntry> read(Head h, long from, int count) throws LedgerException {
        try {
            long block = from / SubtreeCache.BLOCK;
            long offset = blockOffsets.get(block);
            RecordFile.Window window = events.window(READ_WINDOW);
            List<LedgerEntry> out = new ArrayList<>(Math.min(count, 1024));
            for (long index = block * SubtreeCache.BLOCK; index < from + count; index++) {
                if (index < from) {
                    offset += RecordFile.frameSize(events.frameLength(window, offset, index, h.end));
                    continue;
                }
                byte[] body = events.readBody(window, offset, index, h.end);
                out.add(entry(index, offset, body));
                offset += RecordFile.frameSize(body.length);
            }
            return out;
        } catch (IOException e) {
            throw failure("cannot read the ledger", e);
        }
    }

    private LedgerEntry entry(long index, long offset, byte[] body) throws IOException {
        byte[] leafHash = Arrays.copyOf(body, MerkleHash.SIZE);
        if (body.length <= MerkleHash.SIZE || !Arrays.equals(leafHash,
                MerkleHash.leafHash(body, MerkleHash.SIZE, body.length - MerkleHash.SIZE))) {
            throw events.corrupt(offset, index, "the event does not match its stored leaf hash");
        }
        try {
            return new LedgerEntry(index,
                    LedgerEventCodec.decode(Arrays.copyOfRange(body, MerkleHash.SIZE, body.length)), leafHash);
        } catch (InvalidEventException e) {
            throw events.corrupt(offset, index, "the stored event is unreadable: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- checkpoints and proofs

    @Override
    public Checkpoint checkpoint() throws LedgerException {
        Head h = openHead();
        return checkpoints.issue(h.size, size -> rootHash(h, size), key, sync);
    }

    @Override
    public List<Checkpoint> checkpoints(long fromTreeSize, int max) throws LedgerException {
        openHead();
        if (max < 0) {
            throw new LedgerException("cannot list " + max + " checkpoints");
        }
        try {
            return checkpoints.from(fromTreeSize, max);
        } catch (IOException e) {
            throw failure("cannot read the ledger's checkpoints", e);
        }
    }

    @Override
    public InclusionProof inclusionProof(long index, long treeSize) throws LedgerException {
        Head h = openHead();
        checkTreeSize(treeSize, h);
        if (index < 0 || index >= treeSize) {
            throw new LedgerException("event " + index + " is not in the tree of the first " + treeSize + " events");
        }
        try {
            return MerkleTree.inclusionProof(new TreeView(h), index, treeSize);
        } catch (UncheckedIOException e) {
            throw failure("cannot read the ledger", e.getCause());
        }
    }

    @Override
    public ConsistencyProof consistencyProof(long firstSize, long secondSize) throws LedgerException {
        Head h = openHead();
        checkTreeSize(secondSize, h);
        if (firstSize < 0 || firstSize > secondSize) {
            throw new LedgerException("no consistency proof from tree size " + firstSize + " to " + secondSize);
        }
        try {
            return MerkleTree.consistencyProof(new TreeView(h), firstSize, secondSize);
        } catch (UncheckedIOException e) {
            throw failure("cannot read the ledger", e.getCause());
        }
    }

    /** The Merkle root of the first {@code treeSize} events, for any size up to the log's. */
    public byte[] rootHash(long treeSize) throws LedgerException {
        Head h = openHead();
        checkTreeSize(treeSize, h);
        return rootHash(h, treeSize);
    }

    private byte[] rootHash(Head h, long treeSize) throws LedgerException {
        try {
            return MerkleTree.rootHash(new TreeView(h), treeSize);
        } catch (UncheckedIOException e) {
            throw failure("cannot read the ledger", e.getCause());
        }
    }

    private static void checkTreeSize(long treeSize, Head h) throws LedgerException {
        if (treeSize < 0 || treeSize > h.size) {
            throw new LedgerException("no tree of " + treeSize + " events: the log holds " + h.size);
        }
    }

    @Override
    public String logKey() {
        return key.did();
    }

    /**
     * Keeps the views' snapshots in this log's directory ({@link FileViewSnapshots}), taken every {@code everyEvents}
     * events or {@code everySeconds} seconds (0: not by that measure; both 0: no snapshots are kept).
     */
    public void keepSnapshots(long everyEvents, long everySeconds) {
        snapshots = everyEvents <= 0 && everySeconds <= 0 ? Optional.empty()
                : Optional.of(new FileViewSnapshots(directory, key, everyEvents, everySeconds));
    }

    @Override
    public Optional<ViewSnapshots> snapshots() {
        return snapshots;
    }

    /** Number of commit batches written since open: appends divided by this is the mean batch size. */
    public long commits() {
        return commits;
    }

    /** The log's origin name, as its checkpoints carry it. */
    public String origin() {
        return origin;
    }

    /** Where the log keeps its files. */
    public Path directory() {
        return directory;
    }

    /**
     * The tree as of one head: upper levels from {@link SubtreeCache}, the lowest four rehashed from the leaf
     * hashes of one block of 16 events read from the file. A proof asks for several heights within the same
     * block, so the block's small tree is kept once built.
     */
    private final class TreeView implements SubtreeHashes {
        private final Head h;
        private long cachedBlock = -1;
        // blockLevels[height][i]: the complete subtrees of the cached block, heights 0 to 3
        private byte[][][] blockLevels;

        TreeView(Head h) {
            this.h = h;
        }

        @Override
        public byte[] perfectSubtreeHash(int height, long index) {
            if (height >= SubtreeCache.CACHED_HEIGHT) {
                return tree.get(height, index);
            }
            long first = index << height;
            byte[][][] levels = block(first / SubtreeCache.BLOCK);
            return levels[height][(int) (first % SubtreeCache.BLOCK) >> height].clone();
        }

        private byte[][][] block(long block) {
            if (block == cachedBlock) {
                return blockLevels;
            }
            long first = block * SubtreeCache.BLOCK;
            int count = (int) Math.min(SubtreeCache.BLOCK, h.size - first);
            long offset = blockOffsets.get(block);
            long limit = first + SubtreeCache.BLOCK < h.size ? blockOffsets.get(block + 1) : h.end;
            byte[][][] levels = new byte[SubtreeCache.CACHED_HEIGHT][][];
            levels[0] = new byte[count][];
            try {
                RecordFile.Window window = events.window((int) Math.min(READ_WINDOW, limit - offset));
                for (int j = 0; j < count; j++) {
                    levels[0][j] = events.bodyPrefix(window, offset, first + j, MerkleHash.SIZE, limit);
                    offset += RecordFile.frameSize(events.frameLength(window, offset, first + j, limit));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (int height = 1; height < SubtreeCache.CACHED_HEIGHT; height++) {
                byte[][] below = levels[height - 1];
                levels[height] = new byte[below.length / 2][];
                for (int i = 0; i < levels[height].length; i++) {
                    levels[height][i] = MerkleHash.nodeHash(below[2 * i], below[2 * i + 1]);
                }
            }
            cachedBlock = block;
            blockLevels = levels;
            return levels;
        }
    }

    // ---------------------------------------------------------------- life cycle

    private void checkOpen() throws LedgerException {
        if (closed) {
            throw new LedgerException(CLOSED);
        }
    }

    private Head openHead() throws LedgerException {
        checkOpen();
        return head;
    }

    private LedgerException failure(String what, IOException e) {
        if (closed) {
            return new LedgerException(CLOSED);
        }
        if (e instanceof InterruptedIOException) {
            return new LedgerException(what + ": interrupted", e);
        }
        return new LedgerException(what + ": " + e.getMessage(), e);
    }

    /**
     * Stops appends (those queued fail, a batch being written completes), then closes the files and releases the
     * directory. Safe to call more than once.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        commit.close(CLOSED);
        synchronized (checkpoints) {
            // Waits for a checkpoint being written; CheckpointLog.issue holds the same monitor.
            closeAll(events, checkpoints, null);
        }
        try {
            lock.release();
        } catch (IOException e) {
            LOG.debug("releasing {}: {}", directory.resolve(LOCK_FILE), e.toString());
        }
        closeAll(null, null, lockChannel);
        LOG.info("Ledger '{}' in {} closed at {} events", origin, directory, head.size);
    }

    private static void closeAll(RecordFile events, CheckpointLog checkpoints, FileChannel lockChannel) {
        if (events != null) {
            events.close();
        }
        if (checkpoints != null) {
            checkpoints.close();
        }
        if (lockChannel != null) {
            try {
                lockChannel.close();
            } catch (IOException e) {
                LOG.debug("closing the ledger lock: {}", e.toString());
            }
        }
    }
}
