package org.updraft.core.log;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.work.Workers;

/**
 * Keeps a view of the ledger (trust, releases, rollouts) up to date: hands each event appended since the last call,
 * in order, to the view. Whoever appended them, this node or another, the view ends up the same. Not
 * thread-safe; its owner synchronizes.
 *
 * <p>The ledger behind a view can be swapped while it runs (the platform's backend switch). Backends over the same
 * log (the local log, and the EVM ledger anchoring it) continue one another. A different log — another log key, or
 * fewer events than were followed — is replayed from its start: the view is reset first.
 *
 * <p>A {@link SnapshotView} whose ledger keeps snapshots ({@link Ledger#snapshots()}) does not replay the whole log:
 * at its first call the follower loads the view's newest snapshot, and uses it only if its seal verifies under the
 * log key, it is of this view and version, and its tree size and root hash are a prefix of the log as the log's
 * current signed checkpoint states it (a consistency proof). Then only the events after it are replayed. A snapshot
 * that fails any check is ignored with one warning, and the view replays from the start. The follower takes a new
 * snapshot after the events it applied, every {@link ViewSnapshots#everyEvents()} events or
 * {@link ViewSnapshots#everySeconds()} seconds; one that cannot be saved costs a warning, never the call.
 *
 * <p>Only the copy of the view's state is taken in {@link #catchUp()}, under the owner's lock
 * ({@link SnapshotView#captureState()}); encoding, sealing and saving it run on a shared writer thread, so that the
 * view's callers (devices' checks and reports) do not wait for a snapshot of a large view. One snapshot of a view is
 * written at a time: one falling due while the previous is being written is taken at the first call after it ended.
 *
 * <p>On a ledger that several nodes share ({@link Ledger#decisions()} present) only the node holding the lease
 * {@value #WRITER_LEASE} writes snapshots, for all its views: the others would write the same state of the same log.
 * A node that does not hold it asks again at its next due snapshot, so another takes over within an interval once the
 * writer stops or its lease lapses. Every node reads them.
 */
public final class LedgerFollower {

    private static final Logger LOG = LoggerFactory.getLogger(LedgerFollower.class);
    private static final int PAGE = 1000;

    /** The lease under which one node of those sharing a ledger writes the views' snapshots. */
    public static final String WRITER_LEASE = "views/snapshots";

    /**
     * Writes the snapshots of every view of this JVM, off their owners' locks; its threads end when idle. A view has
     * one write at a time, so the queue holds every view's and a write never runs in the submitting thread (under the
     * owner's lock) unless a JVM has more than 258 views.
     */
    private static final ExecutorService WRITERS = Workers.pool("updraft-view-snapshots", 2, 256);
    /** Writes submitted and not yet ended, in this JVM: what {@link #awaitSnapshotWrites} waits for. */
    private static final Object IN_FLIGHT_LOCK = new Object();
    private static int inFlight;

    private final Ledger ledger;
    private final Consumer<LedgerEntry> view;
    private final Runnable reset;
    private final SnapshotView snapshotView;
    /** Number of events already handed to the view. */
    private long followed;
    /** The log key of the log followed, once known. */
    private String logKey;
    /** The leaf hash of the last event handed to the view: with an inclusion proof, the root of {@link #followed}. */
    private byte[] lastLeaf;
    /** Whether the snapshot was looked for since the view was last empty. */
    private boolean restoreDone;
    /** The tree size of the newest snapshot this view was restored from or saved (by the writer thread). */
    private volatile long snapshotSize;
    /** The number of events followed when the last snapshot was taken or restored, and when (nanoTime). */
    private long snapshotDueFrom;
    private long snapshotNanos = System.nanoTime();
    /** Whether a snapshot of this view is being written. */
    private final AtomicBoolean writing = new AtomicBoolean();
    /** Counts the resets, so that a write of a state from before a reset does not count after it. */
    private volatile long generation;
    /** Whether the last attempt to save a snapshot failed: one warning per run of failures. */
    private volatile boolean saveFailing;

    /**
     * @param reset empties the view, before the events of a different log are replayed into it
     */
    public LedgerFollower(Ledger ledger, Consumer<LedgerEntry> view, Runnable reset) {
        this(ledger, null, view, reset);
    }

    /**
     * A follower of a view that starts from its snapshots where the ledger keeps them.
     *
     * @param snapshots the view's state, or {@code null} for a view that always replays
     * @param reset empties the view, before the events of a different log are replayed into it, and before a
     *        snapshot that could not be used is replaced by a replay
     */
    public LedgerFollower(Ledger ledger, SnapshotView snapshots, Consumer<LedgerEntry> view, Runnable reset) {
        if (snapshots != null && !ViewSnapshot.validName(snapshots.snapshotName())) {
            throw new IllegalArgumentException("not a view name: " + snapshots.snapshotName());
        }
        this.ledger = ledger;
        this.snapshotView = snapshots;
        this.view = view;
        this.reset = reset;
    }

    /** Hands the events appended since the last call to the view. */
    public void catchUp() throws LedgerException {
        String key = ledger.logKey();
        long size = ledger.size();
        if (logKey != null && (!logKey.equals(key) || size < followed)) {
            reset.run();
            followed = 0;
            lastLeaf = null;
            restoreDone = false;
            snapshotSize = 0;
            snapshotDueFrom = 0;
            generation++;
        }
        logKey = key;
        if (!restoreDone && followed == 0 && snapshotView != null) {
            restore(key);
        }
        while (followed < size) {
            List<LedgerEntry> page = ledger.read(followed, PAGE);
            if (page.isEmpty()) {
                break;
            }
            for (LedgerEntry entry : page) {
                view.accept(entry);
                followed = entry.index() + 1;
                lastLeaf = entry.leafHash();
            }
            if (followed >= size) {
                size = ledger.size(); // appended meanwhile
            }
        }
        if (snapshotView != null) {
            snapshotIfDue(key);
        }
    }

    /** Number of events handed to the view (or covered by the snapshot it was restored from). */
    public long followed() {
        return followed;
    }

    /** The tree size of the snapshot the view was last restored from or saved at; 0 for none. */
    public long snapshotSize() {
        return snapshotSize;
    }

    /**
     * Restores the view from its newest snapshot when that passes every check. A ledger that cannot be read throws,
     * and the next call tries again; a snapshot that is refused is not looked at again.
     */
    private void restore(String key) throws LedgerException {
        Optional<ViewSnapshots> store = ledger.snapshots();
        if (store.isEmpty()) {
            restoreDone = true;
            return;
        }
        String name = snapshotView.snapshotName();
        Optional<byte[]> sealed;
        try {
            sealed = store.get().load(name);
        } catch (LedgerException e) {
            ledger.size(); // throws while the ledger itself cannot be read: the next call tries again
            refuse(name, e);
            return;
        }
        if (sealed.isEmpty()) {
            restoreDone = true;
            return;
        }
        ViewSnapshot.Body body;
        Object state;
        try {
            body = ViewSnapshot.decode(ViewSnapshot.open(sealed.get(), key));
            if (!body.view().equals(name) || body.version() != snapshotView.snapshotVersion()) {
                throw new IllegalArgumentException("it is of view " + body.view() + " version " + body.version()
                        + ", this view is " + name + " version " + snapshotView.snapshotVersion());
            }
            if (!body.logKey().equals(key)) {
                throw new IllegalArgumentException("it was taken of the log " + body.logKey());
            }
            Checkpoint latest = CheckpointCodec.verify(ledger.checkpoint().envelope(), key);
            if (body.treeSize() > latest.treeSize()) {
                throw new IllegalArgumentException("it covers " + body.treeSize() + " events, the log holds "
                        + latest.treeSize());
            }
            if (body.treeSize() == latest.treeSize()) {
                if (!Arrays.equals(body.rootHash(), latest.rootHash())) {
                    throw new IllegalArgumentException("its root hash is not the log's at " + body.treeSize());
                }
            } else if (body.treeSize() > 0) {
                MerkleTree.verifyConsistency(ledger.consistencyProof(body.treeSize(), latest.treeSize()),
                        body.rootHash(), latest.rootHash());
            }
            state = Cbor.decode(body.state());
        } catch (LedgerException e) {
            throw e;
        } catch (Exception e) {
            refuse(name, e);
            return;
        }
        try {
            snapshotView.restoreState(state);
        } catch (Exception e) {
            reset.run();
            refuse(name, e);
            return;
        }
        restoreDone = true;
        followed = body.treeSize();
        snapshotSize = followed;
        snapshotDueFrom = followed;
        snapshotNanos = System.nanoTime();
        LOG.info("View {} restored from its snapshot at {} events; replaying the events after it", name, followed);
    }

    private void refuse(String name, Exception why) {
        restoreDone = true;
        LOG.warn("Ignoring the snapshot of view {} ({}): replaying the whole ledger instead", name,
                why.getMessage() != null ? why.getMessage() : why.toString());
    }

    /**
     * Under the owner's lock: when a snapshot is due, takes the view's state and hands it to the writer thread.
     */
    private void snapshotIfDue(String key) {
        Optional<ViewSnapshots> store = ledger.snapshots();
        if (store.isEmpty() || followed <= snapshotDueFrom || lastLeaf == null || writing.get()) {
            return;
        }
        ViewSnapshots s = store.get();
        boolean byCount = s.everyEvents() > 0 && followed - snapshotDueFrom >= s.everyEvents();
        boolean byTime = s.everySeconds() > 0 && System.nanoTime() - snapshotNanos >= s.everySeconds() * 1_000_000_000L;
        if (!byCount && !byTime) {
            return;
        }
        // the next one falls due after another interval, whether this one is saved, fails, or is another node's
        snapshotNanos = System.nanoTime();
        snapshotDueFrom = followed;
        String name = snapshotView.snapshotName();
        long size = followed;
        byte[] leaf = lastLeaf;
        long taken = generation;
        Supplier<Object> state;
        try {
            state = snapshotView.captureState();
        } catch (RuntimeException e) {
            failed(name, size, e);
            return;
        }
        writing.set(true);
        synchronized (IN_FLIGHT_LOCK) {
            inFlight++;
        }
        try {
            WRITERS.execute(() -> write(s, key, name, size, leaf, state, taken));
        } catch (RejectedExecutionException e) {
            ended();
            failed(name, size, e);
        }
    }

    /** On the writer thread: the lease (on a shared ledger), then the snapshot encoded, sealed and saved. */
    private void write(ViewSnapshots s, String key, String name, long size, byte[] leaf, Supplier<Object> state,
            long taken) {
        try {
            Optional<DecisionLeases> shared = ledger.decisions();
            if (shared.isPresent() && shared.get().claim(WRITER_LEASE).isEmpty()) {
                LOG.debug("View {} leaves its snapshot at {} events to the node holding lease {}", name, size,
                        WRITER_LEASE);
                return;
            }
            InclusionProof proof = ledger.inclusionProof(size - 1, size);
            byte[] root = MerkleTree.rootFromInclusionPath(leaf, size - 1, size, proof.path());
            byte[] encoded = Cbor.encode(state.get());
            s.save(name, size, ViewSnapshot.encode(new ViewSnapshot.Body(name, snapshotView.snapshotVersion(), key,
                    size, root, encoded)));
            if (taken == generation) {
                snapshotSize = size;
            }
            if (saveFailing) {
                LOG.info("View {} saves its snapshots again", name);
            }
            saveFailing = false;
        } catch (LedgerException | InvalidProofException | RuntimeException e) {
            failed(name, size, e);
        } finally {
            ended();
        }
    }

    private void failed(String name, long size, Exception e) {
        if (!saveFailing) {
            LOG.warn("View {} could not save its snapshot at {} events: {}", name, size,
                    e.getMessage() != null ? e.getMessage() : e.toString());
        }
        saveFailing = true;
    }

    private void ended() {
        writing.set(false);
        synchronized (IN_FLIGHT_LOCK) {
            inFlight--;
            IN_FLIGHT_LOCK.notifyAll();
        }
    }

    /**
     * Waits until every snapshot write of every view in this JVM that started before or while waiting has ended
     * (saved, refused or failed): for tests, and for a caller that must know its views' snapshots are written.
     *
     * @return whether none was left in flight within {@code timeout}
     */
    public static boolean awaitSnapshotWrites(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (IN_FLIGHT_LOCK) {
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                IN_FLIGHT_LOCK.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }
}
