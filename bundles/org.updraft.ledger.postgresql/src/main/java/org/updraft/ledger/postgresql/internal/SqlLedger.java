package org.updraft.ledger.postgresql.internal;

import java.security.MessageDigest;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import javax.sql.DataSource;

import org.updraft.api.ledger.AppendCondition;
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
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.InvalidCheckpointException;
import org.updraft.core.log.InvalidEventException;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.log.SubtreeHashes;
import org.updraft.ledger.postgresql.internal.AppendQueue.Pending;

/**
 * The transparency log in PostgreSQL, shared by every node that opens it with the same log key and origin:
 * <ul>
 * <li>{@code ledger_tree}: one row, the tree's state (size, right edge, latest checkpoint), read
 * {@code FOR UPDATE} by every append transaction, so the nodes' appends serialize on it and get contiguous
 * indexes in one tree;</li>
 * <li>{@code ledger_entries}: each event's encoded bytes ({@link LedgerEventCodec}) and leaf hash;</li>
 * <li>{@code ledger_nodes}: every complete perfect subtree of height 1 and up, written in the transaction that
 * completes it. A node table rather than tiles: a proof needs at most two lookups per level, which one query
 * fetches by key, and an append writes on average one row per event, never rewriting a partial tile;</li>
 * <li>{@code ledger_checkpoints}: every checkpoint issued, by tree size;</li>
 * <li>{@code ledger_decisions} and {@code ledger_leases}: the keys of the decisions appended with a condition, and
 * the leases on them ({@link DecisionTable});</li>
 * <li>{@code ledger_snapshots}: the newest snapshot of each view of the log ({@link SqlViewSnapshots}).</li>
 * </ul>
 * Appends of one node are group-committed ({@link AppendQueue}): concurrent calls share one transaction.
 */
public final class SqlLedger implements Ledger, AutoCloseable {

    static final String CLOSED = "the postgresql ledger is closed";
    /** One transaction holds at most this many events, and this many bytes (one larger event still goes alone). */
    static final int MAX_BATCH_EVENTS = 1000;
    static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;
    /** How long an append whose commit was cut off waits to learn whether it committed. */
    private static final int RESOLVE_WAIT_SECONDS = 5;

    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE IF NOT EXISTS ledger_tree (id smallint PRIMARY KEY CHECK (id = 1), origin text NOT NULL,"
                    + " log_key text NOT NULL, size bigint NOT NULL CHECK (size >= 0), right_edge bytea NOT NULL,"
                    + " checkpoint_size bigint NOT NULL, checkpoint_time bigint NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_entries (idx bigint PRIMARY KEY CHECK (idx >= 0),"
                    + " leaf_hash bytea NOT NULL, event bytea NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_nodes (height smallint NOT NULL, idx bigint NOT NULL,"
                    + " hash bytea NOT NULL, PRIMARY KEY (height, idx))",
            "CREATE TABLE IF NOT EXISTS ledger_checkpoints (tree_size bigint PRIMARY KEY, signed_at bigint NOT NULL,"
                    + " envelope bytea NOT NULL)",
            DecisionTable.DECISIONS, DecisionTable.LEASES, SqlViewSnapshots.TABLE);
    private static final String[] TABLES = {"ledger_tree", "ledger_entries", "ledger_nodes", "ledger_checkpoints",
        "ledger_decisions", "ledger_leases"};

    /** Runs inside an append transaction just before its commit; tests use it to make a transaction fail. */
    @FunctionalInterface
    interface CommitHook {
        void beforeCommit(Connection transaction) throws SQLException;
    }

    /** The tree-state row. */
    private record TreeRow(long size, byte[] rightEdge, long checkpointSize, long checkpointTime) {
    }

    private record NodeKey(int height, long index) {
    }

    private final DataSource db;
    private final String where;
    private final SigningKey key;
    private final String origin;
    private final long checkpointBatch;
    private final boolean migrate;
    private final AppendQueue queue;
    private final Object opening = new Object();
    private final AtomicLong commits = new AtomicLong();
    private volatile boolean ready;
    private volatile boolean closed;
    private volatile String refusal;
    /** Conditional appends and leases, once this log is shared by named nodes ({@link #shareDecisions}). */
    private volatile DecisionTable decisions;
    private volatile Optional<ViewSnapshots> snapshots = Optional.empty();
    volatile CommitHook commitHook = transaction -> {
    };
    /** Runs right after the commit returned; tests use it to lose the commit's answer, as a cut connection does. */
    volatile CommitHook committedHook = transaction -> {
    };

    /**
     * @param db connections to the database, each in the schema that holds (or will hold) the ledger's tables
     * @param where the database for messages, its password masked
     * @param key the log key, the same file on every node
     * @param origin the log's name in its checkpoints, the same on every node
     * @param checkpointBatch a checkpoint is signed in the append transaction that brings the log this many events
     *        past the latest checkpoint; 0 for none but those asked for and those of the interval
     * @param migrate create the tables when missing; otherwise only check that they are there
     */
    public SqlLedger(DataSource db, String where, SigningKey key, String origin, long checkpointBatch,
            boolean migrate) {
        if (origin == null || origin.isBlank()) {
            throw new IllegalArgumentException("the ledger needs an origin name");
        }
        this.db = db;
        this.where = where;
        this.key = key;
        this.origin = origin;
        this.checkpointBatch = Math.max(0, checkpointBatch);
        this.migrate = migrate;
        this.queue = new AppendQueue(this::writeBatch, MAX_BATCH_EVENTS, MAX_BATCH_BYTES);
    }

    // ---------------------------------------------------------------- opening

    /**
     * Creates the tables (when {@code migrate}) and this log's state row, or checks that the stored log is this
     * one: same origin, same log key, latest checkpoint signed by it. Calls do this themselves while it has not
     * succeeded, so a database that was down at start is used once it answers.
     *
     * @throws LedgerException when the database does not answer (try again later), or when it holds another log
     *         (then every call fails with that reason: {@link #refusal()})
     */
    public void open() throws LedgerException {
        synchronized (opening) {
            checkUsable();
            if (ready) {
                return;
            }
            try (Connection c = db.getConnection()) {
                c.setAutoCommit(false);
                try {
                    createOrCheckTables(c);
                    try (PreparedStatement p = c.prepareStatement("INSERT INTO ledger_tree (id, origin, log_key, size,"
                            + " right_edge, checkpoint_size, checkpoint_time) VALUES (1, ?, ?, 0, ?, -1, 0)"
                            + " ON CONFLICT (id) DO NOTHING")) {
                        p.setString(1, origin);
                        p.setString(2, key.did());
                        p.setBytes(3, new byte[0]);
                        p.executeUpdate();
                    }
                    checkIdentity(c);
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    rollback(c);
                    throw e;
                }
            } catch (SQLException e) {
                throw new LedgerException(SqlFailures.describe("cannot open the ledger at " + where, e), e);
            }
            ready = true;
        }
    }

    private void createOrCheckTables(Connection c) throws SQLException, LedgerException {
        try (Statement s = c.createStatement()) {
            if (migrate) {
                // nodes starting together: one creates the tables, the others wait and find them
                s.execute("SELECT pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '') || '.ledger_tables'))");
                for (String ddl : SCHEMA) {
                    s.execute(ddl);
                }
                return;
            }
            for (String table : TABLES) {
                try (ResultSet r = s.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
                    r.next();
                    if (!r.getBoolean(1)) {
                        // another node may create it: not a refusal, calls try again
                        throw new LedgerException("the ledger at " + where + " has no table " + table
                                + " and migrate is off: start a node with migrate=true once");
                    }
                }
            }
        }
    }

    private void checkIdentity(Connection c) throws SQLException, LedgerException {
        String storedOrigin;
        String storedKey;
        long checkpointSize;
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT origin, log_key, checkpoint_size FROM ledger_tree WHERE id = 1")) {
            r.next();
            storedOrigin = r.getString(1);
            storedKey = r.getString(2);
            checkpointSize = r.getLong(3);
        }
        if (!storedOrigin.equals(origin)) {
            throw refuse("the ledger at " + where + " is the log '" + storedOrigin + "', but this node is configured"
                    + " as '" + origin + "'; every node of a log must use its origin, devices check it");
        }
        if (!storedKey.equals(key.did())) {
            throw refuse("the ledger at " + where + " is signed by the log key " + storedKey + ", but this node's key"
                    + " file holds " + key.did() + "; every node needs the same key file");
        }
        if (checkpointSize >= 0) {
            byte[] envelope = checkpointEnvelope(c, checkpointSize);
            try {
                CheckpointCodec.verify(envelope, key.verificationKey());
            } catch (InvalidCheckpointException e) {
                throw refuse("the latest checkpoint at " + where + " does not verify under the log key: "
                        + e.getMessage());
            }
        }
    }

    private LedgerException refuse(String reason) {
        refusal = reason;
        return new LedgerException(reason);
    }

    /** Why this ledger refuses all work (it found another log in the database), or null. */
    String refusal() {
        return refusal;
    }

    private void checkUsable() throws LedgerException {
        if (closed) {
            throw new LedgerException(CLOSED);
        }
        String refused = refusal;
        if (refused != null) {
            throw new LedgerException(refused);
        }
    }

    private void ensureOpen() throws LedgerException {
        checkUsable();
        if (!ready) {
            open();
        }
    }

    // ---------------------------------------------------------------- appending

    @Override
    public AppendReceipt append(LedgerEvent event) throws LedgerException {
        if (event == null) {
            throw new LedgerException("cannot append a missing event");
        }
        ensureOpen();
        byte[] bytes;
        try {
            bytes = LedgerEventCodec.encode(event);
        } catch (IllegalArgumentException e) {
            throw new LedgerException("cannot append " + event + ": " + e.getMessage());
        }
        byte[] leafHash = MerkleHash.leafHash(bytes);
        long index = queue.commit(new Pending(bytes, leafHash));
        return new AppendReceipt(index, leafHash);
    }

    /**
     * Appends the event if {@code condition} holds in the append transaction (see {@link DecisionLeases}); it
     * shares the transaction with other appends of this node, so decisions are group-committed too.
     */
    Optional<AppendReceipt> appendIf(LedgerEvent event, AppendCondition condition) throws LedgerException {
        if (event == null || condition == null) {
            throw new LedgerException("cannot append a missing event or condition");
        }
        ensureOpen();
        byte[] bytes;
        try {
            bytes = LedgerEventCodec.encode(event);
        } catch (IllegalArgumentException e) {
            throw new LedgerException("cannot append " + event + ": " + e.getMessage());
        }
        byte[] leafHash = MerkleHash.leafHash(bytes);
        long index = queue.commit(new Pending(bytes, leafHash, condition));
        return index < 0 ? Optional.empty() : Optional.of(new AppendReceipt(index, leafHash));
    }

    /**
     * Lets this log take decisions among nodes: conditional appends, and leases held by {@code nodeId} that lapse
     * {@code leaseTime} after their last renewal. Until called, {@link #decisions()} is empty.
     */
    public void shareDecisions(String nodeId, Duration leaseTime) {
        decisions = new DecisionTable(this, db, where, nodeId, leaseTime);
    }

    @Override
    public Optional<DecisionLeases> decisions() {
        return Optional.ofNullable(decisions);
    }

    /** Opens the log if it is not yet; for the lease calls, whose tables the opening creates. */
    void ready() throws LedgerException {
        ensureOpen();
    }

    /** One transaction: lock the tree row, insert the events and the nodes they complete, update the row. */
    private void writeBatch(List<Pending> queued) throws LedgerException {
        List<Pending> batch = queued;
        long first = -1;
        Exception uncertain = null;
        try (Connection c = db.getConnection()) {
            boolean committing = false;
            try {
                c.setAutoCommit(false);
                TreeRow tree = lockTree(c);
                first = tree.size;
                // under the tree row's lock: no other node appends between these checks and the commit
                List<Pending> accepted = DecisionTable.admit(c, batch);
                if (accepted.isEmpty()) {
                    rollback(c);
                    return;
                }
                batch = accepted;
                RightEdge edge = edge(tree);
                // one statement per table, whatever the batch's size: rows as arrays, unnested by the server
                int count = batch.size();
                Long[] entryIndexes = new Long[count];
                byte[][] leafHashes = new byte[count][];
                byte[][] events = new byte[count][];
                List<Integer> nodeHeights = new ArrayList<>();
                List<Long> nodeIndexes = new ArrayList<>();
                List<byte[]> nodeHashes = new ArrayList<>();
                for (int k = 0; k < count; k++) {
                    Pending p = batch.get(k);
                    entryIndexes[k] = first + k;
                    leafHashes[k] = p.leafHash;
                    events[k] = p.bytes;
                    edge.append(p.leafHash, (height, index, hash) -> {
                        nodeHeights.add(height);
                        nodeIndexes.add(index);
                        nodeHashes.add(hash);
                    });
                }
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO ledger_entries (idx, leaf_hash, event)"
                        + " SELECT * FROM unnest(?::int8[], ?::bytea[], ?::bytea[])")) {
                    insert.setArray(1, c.createArrayOf("int8", entryIndexes));
                    insert.setArray(2, c.createArrayOf("bytea", leafHashes));
                    insert.setArray(3, c.createArrayOf("bytea", events));
                    insert.executeUpdate();
                }
                DecisionTable.record(c, batch, first);
                if (!nodeHeights.isEmpty()) {
                    try (PreparedStatement insert = c.prepareStatement("INSERT INTO ledger_nodes (height, idx, hash)"
                            + " SELECT * FROM unnest(?::int2[], ?::int8[], ?::bytea[])")) {
                        insert.setArray(1, c.createArrayOf("int4", nodeHeights.toArray()));
                        insert.setArray(2, c.createArrayOf("int8", nodeIndexes.toArray()));
                        insert.setArray(3, c.createArrayOf("bytea", nodeHashes.toArray(new byte[0][])));
                        insert.executeUpdate();
                    }
                }
                long checkpointSize = tree.checkpointSize;
                long checkpointTime = tree.checkpointTime;
                if (checkpointBatch > 0 && edge.size() - Math.max(0, checkpointSize) >= checkpointBatch) {
                    Checkpoint issued = storeCheckpoint(c, edge.size(), edge.rootHash(), checkpointTime);
                    checkpointSize = issued.treeSize();
                    checkpointTime = issued.timestamp().toEpochMilli();
                }
                updateTree(c, edge, checkpointSize, checkpointTime);
                commitHook.beforeCommit(c);
                committing = true;
                c.commit();
                committedHook.beforeCommit(c);
            } catch (SQLException | RuntimeException | LedgerException e) {
                rollback(c);
                if (!committing || !SqlFailures.isConnectionFailure(e)) {
                    throw e;
                }
                uncertain = e;
            }
        } catch (SQLException e) {
            if (uncertain == null) {
                throw new LedgerException(SqlFailures.describe("append failed, nothing was written", e), e);
            }
            // closing the broken connection failed too; the commit's outcome is what matters
        } catch (RuntimeException e) {
            throw new LedgerException("append failed, nothing was written: " + e, e);
        }
        if (uncertain != null) {
            resolveUncertainCommit(batch, first, uncertain);
            return;
        }
        for (int k = 0; k < batch.size(); k++) {
            batch.get(k).index = first + k;
        }
        commits.incrementAndGet();
    }

    /**
     * The connection broke during the commit, so the transaction may or may not have committed: the server may
     * still hold a COMMIT it received before the cut. The transaction held the tree row, so taking that lock waits
     * until the server ended it either way; then either the batch is at {@code first} or none of it is anywhere.
     */
    private void resolveUncertainCommit(List<Pending> batch, long first, Exception cause) throws LedgerException {
        List<byte[]> stored = new ArrayList<>();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                // a server that has not noticed the cut yet may hold the lock until TCP gives up: do not wait for that
                s.execute("SET LOCAL lock_timeout = '" + RESOLVE_WAIT_SECONDS + "s'");
                s.executeQuery("SELECT size FROM ledger_tree WHERE id = 1 FOR UPDATE").close();
            }
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT leaf_hash FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx")) {
                p.setLong(1, first);
                p.setLong(2, first + batch.size());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        stored.add(r.getBytes(1));
                    }
                }
            } finally {
                rollback(c);
            }
        } catch (SQLException e) {
            throw new LedgerException("append: the connection to the ledger database broke while committing, and"
                    + " it cannot be asked whether the " + batch.size() + " events were recorded at " + first
                    + ": " + SqlFailures.oneLine(cause), cause);
        }
        boolean committed = stored.size() == batch.size();
        for (int k = 0; committed && k < batch.size(); k++) {
            committed = MessageDigest.isEqual(stored.get(k), batch.get(k).leafHash);
        }
        if (!committed) {
            throw new LedgerException("append failed, nothing was written: the ledger database is unavailable: "
                    + SqlFailures.oneLine(cause), cause);
        }
        for (int k = 0; k < batch.size(); k++) {
            batch.get(k).index = first + k;
        }
        commits.incrementAndGet();
    }

    private TreeRow lockTree(Connection c) throws SQLException, LedgerException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT size, right_edge,"
                + " checkpoint_size, checkpoint_time FROM ledger_tree WHERE id = 1 FOR UPDATE")) {
            if (!r.next()) {
                throw new LedgerException("the ledger at " + where + " has lost its tree state row (ledger_tree)");
            }
            return new TreeRow(r.getLong(1), r.getBytes(2), r.getLong(3), r.getLong(4));
        }
    }

    private RightEdge edge(TreeRow tree) throws LedgerException {
        try {
            return RightEdge.decode(tree.size, tree.rightEdge);
        } catch (IllegalArgumentException e) {
            throw new LedgerException("the ledger's tree state at " + where + " is damaged: " + e.getMessage());
        }
    }

    private static void updateTree(Connection c, RightEdge edge, long checkpointSize, long checkpointTime)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE ledger_tree SET size = ?, right_edge = ?,"
                + " checkpoint_size = ?, checkpoint_time = ? WHERE id = 1")) {
            p.setLong(1, edge.size());
            p.setBytes(2, edge.encode());
            p.setLong(3, checkpointSize);
            p.setLong(4, checkpointTime);
            p.executeUpdate();
        }
    }

    // ---------------------------------------------------------------- reading

    @Override
    public long size() throws LedgerException {
        ensureOpen();
        try (Connection c = db.getConnection()) {
            return size(c);
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot read the ledger's size", e), e);
        }
    }

    private static long size(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT size FROM ledger_tree WHERE id = 1")) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    @Override
    public LedgerEntry get(long index) throws LedgerException {
        ensureOpen();
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement("SELECT t.size, e.leaf_hash,"
                + " e.event FROM ledger_tree t LEFT JOIN ledger_entries e ON e.idx = ? WHERE t.id = 1")) {
            p.setLong(1, index);
            try (ResultSet r = p.executeQuery()) {
                long size = r.next() ? r.getLong(1) : 0;
                if (index < 0 || index >= size) {
                    throw new LedgerException("no event " + index + ": the log holds " + size + " events");
                }
                if (r.getBytes(3) == null) {
                    throw new LedgerException("event " + index + " is missing from the ledger at " + where
                            + " although the log holds " + size + " events: the table was altered");
                }
                return entry(index, r.getBytes(2), r.getBytes(3));
            }
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot read the ledger", e), e);
        }
    }

    @Override
    public List<LedgerEntry> read(long fromIndex, int max) throws LedgerException {
        ensureOpen();
        if (fromIndex < 0) {
            throw new LedgerException("cannot read from event " + fromIndex + ": indexes start at 0");
        }
        if (max < 0) {
            throw new LedgerException("cannot read " + max + " events");
        }
        if (max == 0) {
            return List.of();
        }
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT idx, leaf_hash, event FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?")) {
            p.setLong(1, fromIndex);
            p.setInt(2, max);
            List<LedgerEntry> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long index = r.getLong(1);
                    if (index != fromIndex + out.size()) {
                        throw new LedgerException("event " + (fromIndex + out.size()) + " is missing from the ledger"
                                + " at " + where + ": the table was altered");
                    }
                    out.add(entry(index, r.getBytes(2), r.getBytes(3)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot read the ledger", e), e);
        }
    }

    private LedgerEntry entry(long index, byte[] leafHash, byte[] bytes) throws LedgerException {
        if (!MessageDigest.isEqual(leafHash, MerkleHash.leafHash(bytes))) {
            throw new LedgerException("event " + index + " at " + where
                    + " does not match its stored leaf hash; the event was altered");
        }
        try {
            return new LedgerEntry(index, LedgerEventCodec.decode(bytes), leafHash);
        } catch (InvalidEventException e) {
            throw new LedgerException("event " + index + " at " + where + " is unreadable: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- checkpoints

    @Override
    public Checkpoint checkpoint() throws LedgerException {
        ensureOpen();
        try (Connection c = db.getConnection()) {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT t.size, t.checkpoint_size,"
                    + " k.envelope FROM ledger_tree t LEFT JOIN ledger_checkpoints k ON k.tree_size = t.checkpoint_size"
                    + " WHERE t.id = 1")) {
                if (r.next() && r.getLong(2) >= r.getLong(1) && r.getBytes(3) != null) {
                    return parse(r.getBytes(3));
                }
            }
            // the log grew: sign under the row lock, so one checkpoint per size and times that never go back
            c.setAutoCommit(false);
            try {
                TreeRow tree = lockTree(c);
                Checkpoint result;
                if (tree.checkpointSize >= tree.size) {
                    result = parse(checkpointEnvelope(c, tree.checkpointSize));
                } else {
                    result = storeCheckpoint(c, tree.size, edge(tree).rootHash(), tree.checkpointTime);
                    try (PreparedStatement p = c.prepareStatement(
                            "UPDATE ledger_tree SET checkpoint_size = ?, checkpoint_time = ? WHERE id = 1")) {
                        p.setLong(1, result.treeSize());
                        p.setLong(2, result.timestamp().toEpochMilli());
                        p.executeUpdate();
                    }
                }
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | LedgerException e) {
                rollback(c);
                throw e;
            }
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot issue a checkpoint", e), e);
        }
    }

    private Checkpoint storeCheckpoint(Connection c, long treeSize, byte[] root, long previousTime)
            throws SQLException {
        // the clock of this node may be behind the one that signed the previous checkpoint: times never go back
        Instant now = Instant.ofEpochMilli(Math.max(System.currentTimeMillis(), previousTime));
        Checkpoint signed = CheckpointCodec.sign(origin, treeSize, root, now, key);
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO ledger_checkpoints (tree_size, signed_at, envelope) VALUES (?, ?, ?)")) {
            p.setLong(1, treeSize);
            p.setLong(2, now.toEpochMilli());
            p.setBytes(3, signed.envelope());
            p.executeUpdate();
        }
        return signed;
    }

    private byte[] checkpointEnvelope(Connection c, long treeSize) throws SQLException, LedgerException {
        try (PreparedStatement p = c.prepareStatement("SELECT envelope FROM ledger_checkpoints WHERE tree_size = ?")) {
            p.setLong(1, treeSize);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    throw new LedgerException("the checkpoint of " + treeSize + " events is missing from the ledger at "
                            + where + ": the table was altered");
                }
                return r.getBytes(1);
            }
        }
    }

    private Checkpoint parse(byte[] envelope) throws LedgerException {
        try {
            return CheckpointCodec.parse(envelope);
        } catch (InvalidCheckpointException e) {
            throw new LedgerException("a stored checkpoint at " + where + " is unreadable: " + e.getMessage());
        }
    }

    @Override
    public List<Checkpoint> checkpoints(long fromTreeSize, int max) throws LedgerException {
        ensureOpen();
        if (max < 0) {
            throw new LedgerException("cannot list " + max + " checkpoints");
        }
        if (max == 0) {
            return List.of();
        }
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT envelope FROM ledger_checkpoints WHERE tree_size >= ? ORDER BY tree_size LIMIT ?")) {
            p.setLong(1, fromTreeSize);
            p.setInt(2, max);
            List<Checkpoint> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(parse(r.getBytes(1)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot read the ledger's checkpoints", e), e);
        }
    }

    // ---------------------------------------------------------------- proofs

    @Override
    public InclusionProof inclusionProof(long index, long treeSize) throws LedgerException {
        checkTreeSize(treeSize);
        if (index < 0 || index >= treeSize) {
            throw new LedgerException("event " + index + " is not in the tree of the first " + treeSize + " events");
        }
        return withTree(tree -> MerkleTree.inclusionProof(tree, index, treeSize));
    }

    @Override
    public ConsistencyProof consistencyProof(long firstSize, long secondSize) throws LedgerException {
        checkTreeSize(secondSize);
        if (firstSize < 0 || firstSize > secondSize) {
            throw new LedgerException("no consistency proof from tree size " + firstSize + " to " + secondSize);
        }
        return withTree(tree -> MerkleTree.consistencyProof(tree, firstSize, secondSize));
    }

    /** The Merkle root of the first {@code treeSize} events, for any size up to the log's. */
    public byte[] rootHash(long treeSize) throws LedgerException {
        checkTreeSize(treeSize);
        return withTree(tree -> MerkleTree.rootHash(tree, treeSize));
    }

    private void checkTreeSize(long treeSize) throws LedgerException {
        long size = size();
        if (treeSize < 0 || treeSize > size) {
            throw new LedgerException("no tree of " + treeSize + " events: the log holds " + size);
        }
    }

    /**
     * Runs {@code computation} twice: first to learn which subtree hashes it asks for (which hashes a proof needs
     * depends on sizes and indexes only, never on hash values), then with those hashes fetched in one round trip.
     */
    private <T> T withTree(Function<SubtreeHashes, T> computation) throws LedgerException {
        Set<NodeKey> wanted = new LinkedHashSet<>();
        computation.apply((height, index) -> {
            wanted.add(new NodeKey(height, index));
            return new byte[MerkleHash.SIZE];
        });
        Map<NodeKey, byte[]> found = fetch(wanted);
        String[] missing = new String[1];
        T result = computation.apply((height, index) -> {
            byte[] hash = found.get(new NodeKey(height, index));
            if (hash == null) {
                missing[0] = "subtree " + index + " of height " + height;
                return new byte[MerkleHash.SIZE];
            }
            return hash.clone();
        });
        if (missing[0] != null) {
            throw new LedgerException("the ledger at " + where + " lacks the " + missing[0]
                    + " that its size says it holds: the tables were altered");
        }
        return result;
    }

    private Map<NodeKey, byte[]> fetch(Set<NodeKey> wanted) throws LedgerException {
        List<Long> leaves = new ArrayList<>();
        List<Integer> heights = new ArrayList<>();
        List<Long> indexes = new ArrayList<>();
        for (NodeKey k : wanted) {
            if (k.height == 0) {
                leaves.add(k.index);
            } else {
                heights.add(k.height);
                indexes.add(k.index);
            }
        }
        Map<NodeKey, byte[]> found = new HashMap<>();
        try (Connection c = db.getConnection()) {
            if (!leaves.isEmpty()) {
                try (PreparedStatement p = c.prepareStatement(
                        "SELECT idx, leaf_hash FROM ledger_entries WHERE idx = ANY (?)")) {
                    Array array = c.createArrayOf("int8", leaves.toArray());
                    p.setArray(1, array);
                    try (ResultSet r = p.executeQuery()) {
                        while (r.next()) {
                            found.put(new NodeKey(0, r.getLong(1)), r.getBytes(2));
                        }
                    }
                }
            }
            if (!heights.isEmpty()) {
                try (PreparedStatement p = c.prepareStatement("SELECT n.height, n.idx, n.hash FROM ledger_nodes n"
                        + " JOIN unnest(?::int4[], ?::int8[]) AS w(height, idx) ON n.height = w.height AND n.idx = w.idx")) {
                    p.setArray(1, c.createArrayOf("int4", heights.toArray()));
                    p.setArray(2, c.createArrayOf("int8", indexes.toArray()));
                    try (ResultSet r = p.executeQuery()) {
                        while (r.next()) {
                            found.put(new NodeKey(r.getInt(1), r.getLong(2)), r.getBytes(3));
                        }
                    }
                }
            }
            return found;
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot read the ledger's tree", e), e);
        }
    }

    // ---------------------------------------------------------------- the rest

    /**
     * Keeps the views' snapshots in {@code ledger_snapshots}, taken every {@code everyEvents} events or
     * {@code everySeconds} seconds (0: not by that measure; both 0: none are kept).
     */
    public void keepSnapshots(long everyEvents, long everySeconds) {
        snapshots = everyEvents <= 0 && everySeconds <= 0 ? Optional.empty()
                : Optional.of(new SqlViewSnapshots(db, where, key, everyEvents, everySeconds));
    }

    @Override
    public Optional<ViewSnapshots> snapshots() {
        return snapshots;
    }

    @Override
    public String logKey() {
        return key.did();
    }

    /** Append transactions this instance committed: its appends divided by this is its mean batch size. */
    public long commits() {
        return commits.get();
    }

    /** Stops appends: those queued fail, a transaction under way completes. Closing the pool is the owner's. */
    @Override
    public void close() {
        closed = true;
        queue.close(CLOSED);
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // the connection is gone: the server rolls the transaction back itself
        }
    }
}
