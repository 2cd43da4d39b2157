package org.updraft.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import javax.sql.DataSource;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerAudit;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.LedgerFollower;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.ledger.postgresql.internal.SqlLedger;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.platform.internal.PlatformReleaseDeltas;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.rollout.internal.RolloutEngineComponent;
import org.updraft.testing.Configs;
import org.updraft.testing.LookupOnlyRegistry;
import org.updraft.testing.PostgresSchema;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Row 17b: how long a node takes to start on a long PostgreSQL log: the ledger's open plus its views (trust store,
 * release index, delta index, rollout book) from their snapshots and the tail after them. The log is a history of
 * 1,000-device rollouts as the platform writes it (release published, rollout created and started, per device an
 * offer and three signed reports, rollout completed: 4,004 events a rollout), loaded with COPY together with its
 * Merkle subtrees and tree row, then checkpointed by the ledger itself and audited as {@code ledger-verify} does.
 * The reference: the local file ledger opening the same number of events (it hashes the whole log at open).
 * Figures are start-ups per second (1 ÷ seconds), so that higher is better as in every row; the target, ≤ 10 s,
 * is ≥ 0.1.
 *
 * <p>Sizes: {@code -Dupdraft.bench.startup.events=1000000,3000000} (default 10,000,000; 100,000 with --quick). The
 * log lives in a schema of its own ({@link PostgresSchema}) in the PostgreSQL of .ci/postgres, dropped at the end.
 */
final class StartupRow {

    private static final int DEVICES_PER_ROLLOUT = 1000;
    private static final int FLEET = 10_000;
    private static final int TAIL = 1000;
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private StartupRow() {
    }

    static List<Row> run(Path work, boolean quick) throws Exception {
        String sizes = System.getProperty("updraft.bench.startup.events", quick ? "100000" : "10000000");
        List<Row> rows = new ArrayList<>();
        for (String s : sizes.split(",")) {
            rows.add(measure(work, Long.parseLong(s.trim())));
        }
        return rows;
    }

    private static Row measure(Path work, long events) throws Exception {
        SigningKey logKey = SigningKey.generate(KeyAlgorithm.ED25519);
        History history = new History(events);
        Path cache = Files.createTempFile(work, "startup-events", ".bin");
        Files.delete(cache); // written by the first pass over the history
        try (PostgresSchema db = PostgresSchema.create("bench_startup")) {
            DataSource schema = db.dataSource();
            // 1. the log, loaded in bulk; then the ledger signs its checkpoint and the audit checks all of it
            long t = System.nanoTime();
            byte[] root;
            try (HikariDataSource pool = pool(schema)) {
                SqlLedger log = new SqlLedger(pool, "bench", logKey, "bench-log", 0, true);
                log.open();
                root = bulkLoad(pool, history, cache);
                Checkpoint checkpoint = log.checkpoint();
                if (checkpoint.treeSize() != events || !Arrays.equals(checkpoint.rootHash(), root)) {
                    throw new IllegalStateException("the loaded log's checkpoint is not the tree that was built");
                }
                log.close();
            }
            double buildSeconds = seconds(t);
            System.out.printf("row 17b: %,d events loaded into PostgreSQL in %.1f s%n", events, buildSeconds);

            // 2. a node that ran: it replayed the whole log once and saved its views' snapshots; then the log grew
            t = System.nanoTime();
            try (Node node = new Node(schema, logKey, 1)) {
                node.startViews();
                // the views hand their snapshots to a writer thread: written before the node closes its ledger
                if (!LedgerFollower.awaitSnapshotWrites(Duration.ofMinutes(10))) {
                    throw new IllegalStateException("the views' snapshots were not written within 10 minutes");
                }
            }
            double replaySeconds = seconds(t);
            System.out.printf("row 17b: a node replaying all %,d events: %.1f s (its views then saved snapshots)%n",
                    events, replaySeconds);
            try (HikariDataSource pool = pool(schema)) {
                SqlLedger log = new SqlLedger(pool, "bench", logKey, "bench-log", 0, true);
                log.open();
                for (byte[] encoded : history.tail(TAIL)) {
                    log.append(LedgerEventCodec.decode(encoded));
                }
                log.close();
            }

            // 3. the measured start: open + views from their snapshots + the tail
            t = System.nanoTime();
            long restoredSnapshots;
            try (Node node = new Node(schema, logKey, 0)) {
                node.startViews();
                restoredSnapshots = node.snapshotBytes();
            }
            double startSeconds = seconds(t);
            System.out.printf("row 17b: a node starting from its snapshots on %,d events: %.2f s (snapshots %,d bytes)%n",
                    events + TAIL, startSeconds, restoredSnapshots);

            // 4. ledger-verify's audit of the whole log: it is a valid log
            t = System.nanoTime();
            LedgerAudit.Result audit;
            try (HikariDataSource pool = pool(schema)) {
                SqlLedger log = new SqlLedger(pool, "bench", logKey, "bench-log", 0, true);
                log.open();
                log.checkpoint();
                audit = LedgerAudit.audit(log, n -> {
                });
                log.close();
            }
            if (!audit.consistent()) {
                throw new IllegalStateException("ledger-verify refuses the loaded log: " + audit.firstInconsistency());
            }
            double auditSeconds = seconds(t);

            // reference: the local file ledger opening as many events
            double fileOpenSeconds = fileOpen(work, history, cache, events + TAIL);
            Files.deleteIfExists(cache);
            return new Row("17b", String.format("node start-up, PostgreSQL log of %,d events", events + TAIL),
                    1 / startSeconds, "start-ups/s", "local file ledger open, same events", 1 / fileOpenSeconds,
                    "opens/s", 0.1, "≤ 10 s (≥ 0.1/s)", true, String.format("start %.2f s: open O(1) (tree row, latest"
                            + " checkpoint), views restored from %,d bytes of snapshots, %,d tail events replayed;"
                            + " without snapshots %.1f s; file ledger open %.1f s; bulk load %.0f s; ledger-verify"
                            + " audit %.0f s, %,d events consistent", startSeconds, restoredSnapshots, TAIL,
                            replaySeconds, fileOpenSeconds, buildSeconds, auditSeconds, audit.events()));
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** A platform node's ledger and views, as the components start in Karaf. */
    private static final class Node implements AutoCloseable {
        final HikariDataSource pool;
        final SqlLedger ledger;
        RolloutEngineComponent engine;

        Node(DataSource schema, SigningKey logKey, long snapshotEvery) throws Exception {
            pool = pool(schema);
            ledger = new SqlLedger(pool, "bench", logKey, "bench-log", 0, true);
            ledger.keepSnapshots(snapshotEvery > 0 ? snapshotEvery : 10_000, 0);
            ledger.open();
        }

        void startViews() throws Exception {
            LedgerTrustStore trust = new LedgerTrustStore(ledger);
            PlatformReleaseService releases = new PlatformReleaseService(ledger, trust);
            LookupOnlyRegistry registry = new LookupOnlyRegistry(id -> Optional.empty(), () -> 0);
            PlatformReleaseDeltas deltas = new PlatformReleaseDeltas(ledger, releases, registry,
                    Configs.of(PlatformReleaseDeltas.Config.class, Map.of()));
            engine = new RolloutEngineComponent(Configs.of(RolloutEngineComponent.Config.class, Map.of()), ledger,
                    registry);
            if (trust.list().isEmpty() || releases.list().isEmpty() || deltas.list().size() < 0) {
                throw new IllegalStateException("the views are empty");
            }
        }

        long snapshotBytes() throws Exception {
            long n = 0;
            for (String view : List.of("trust", "releases", "deltas", "rollouts")) {
                n += ledger.snapshots().orElseThrow().load(view).map(b -> (long) b.length).orElse(0L);
            }
            return n;
        }

        @Override
        public void close() {
            if (engine != null) {
                engine.close();
            }
            ledger.close();
            pool.close();
        }
    }

    /**
     * Writes the log with COPY (binary) into ledger_entries and ledger_nodes, their primary keys built after, and the
     * tree row's size and right edge; returns the root.
     */
    private static byte[] bulkLoad(HikariDataSource pool, History history, Path cache) throws Exception {
        try (Connection entries = pool.getConnection(); Connection nodes = pool.getConnection()) {
            try (Statement s = entries.createStatement()) {
                s.execute("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey");
                s.execute("ALTER TABLE ledger_nodes DROP CONSTRAINT ledger_nodes_pkey");
            }
            CopyIn entryCopy = entries.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY ledger_entries (idx, leaf_hash, event) FROM STDIN WITH (FORMAT binary)");
            CopyIn nodeCopy = nodes.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY ledger_nodes (height, idx, hash) FROM STDIN WITH (FORMAT binary)");
            Binary entryRows = new Binary(entryCopy);
            Binary nodeRows = new Binary(nodeCopy);
            Edge edge = new Edge();
            history.forEach(cache, encoded -> {
                long index = edge.size;
                byte[] leaf = MerkleHash.leafHash(encoded);
                entryRows.row(index, leaf, encoded);
                edge.append(leaf, (height, at, hash) -> nodeRows.node(height, at, hash));
            });
            entryRows.end();
            nodeRows.end();
            try (Statement s = entries.createStatement()) {
                s.execute("ALTER TABLE ledger_entries ADD PRIMARY KEY (idx)");
                s.execute("ALTER TABLE ledger_nodes ADD PRIMARY KEY (height, idx)");
                s.execute("ANALYZE ledger_entries");
                s.execute("ANALYZE ledger_nodes");
            }
            try (PreparedStatement p = entries.prepareStatement(
                    "UPDATE ledger_tree SET size = ?, right_edge = ? WHERE id = 1")) {
                p.setLong(1, edge.size);
                p.setBytes(2, edge.encode());
                p.executeUpdate();
            }
            return edge.root();
        }
    }

    /** PostgreSQL's binary COPY format, buffered. */
    private static final class Binary {
        private final CopyIn copy;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 20);
        private final DataOutputStream out = new DataOutputStream(buffer);

        Binary(CopyIn copy) throws IOException {
            this.copy = copy;
            out.write("PGCOPY\n\377\r\n\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.writeInt(0);
            out.writeInt(0);
        }

        void row(long index, byte[] leaf, byte[] event) {
            try {
                out.writeShort(3);
                out.writeInt(8);
                out.writeLong(index);
                out.writeInt(leaf.length);
                out.write(leaf);
                out.writeInt(event.length);
                out.write(event);
                flushIfFull();
            } catch (IOException | SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        void node(int height, long index, byte[] hash) {
            try {
                out.writeShort(3);
                out.writeInt(2);
                out.writeShort(height);
                out.writeInt(8);
                out.writeLong(index);
                out.writeInt(hash.length);
                out.write(hash);
                flushIfFull();
            } catch (IOException | SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        private void flushIfFull() throws SQLException {
            if (buffer.size() >= 1 << 20) {
                copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                buffer.reset();
            }
        }

        void end() throws Exception {
            out.writeShort(-1);
            copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
            buffer.reset();
            copy.endCopy();
        }
    }

    /** The right edge of the tree as it grows, with each completed perfect subtree reported (as the ledger stores it). */
    private static final class Edge {
        interface Completed {
            void completed(int height, long index, byte[] hash);
        }

        final byte[][] subtrees = new byte[64][];
        long size;

        void append(byte[] leaf, Completed completed) {
            long index = size;
            byte[] carry = leaf;
            int height = 0;
            while ((size & (1L << height)) != 0) {
                carry = MerkleHash.nodeHash(subtrees[height], carry);
                subtrees[height] = null;
                height++;
                completed.completed(height, index >>> height, carry);
            }
            subtrees[height] = carry;
            size++;
        }

        byte[] encode() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int height = 63; height >= 0; height--) {
                if ((size & (1L << height)) != 0) {
                    out.writeBytes(subtrees[height]);
                }
            }
            return out.toByteArray();
        }

        byte[] root() {
            return MerkleTree.rootHash((height, index) -> subtrees[height].clone(), size);
        }
    }

    /** The reference: the file ledger's open of {@code events} events (written first, fsync off). */
    private static double fileOpen(Path work, History history, Path cache, long events) throws Exception {
        Path dir = Files.createTempDirectory(work, "startup-file-ledger");
        Path key = dir.resolve("log-key.pem");
        FileLedger ledger = FileLedger.open(dir.resolve("ledger"), key, "bench-log", false);
        // eight appenders share the group commit's batches: the order of the events does not matter to the open
        ExecutorService appenders = Executors.newFixedThreadPool(8);
        try {
            java.util.concurrent.ArrayBlockingQueue<Future<?>> inFlight = new java.util.concurrent.ArrayBlockingQueue<>(
                    4096);
            Consumer<byte[]> append = encoded -> {
                try {
                    while (inFlight.remainingCapacity() == 0) {
                        inFlight.take().get();
                    }
                    LedgerEvent event = LedgerEventCodec.decode(encoded);
                    inFlight.add(appenders.submit(() -> ledger.append(event)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            history.forEach(cache, append);
            for (byte[] encoded : history.tail(TAIL)) {
                append.accept(encoded);
            }
            for (Future<?> f : inFlight) {
                f.get();
            }
            ledger.checkpoint();
        } finally {
            appenders.shutdownNow();
            ledger.close();
        }
        long t = System.nanoTime();
        FileLedger opened = FileLedger.open(dir.resolve("ledger"), key, "bench-log", false);
        double seconds = seconds(t);
        if (opened.size() != events) {
            throw new IllegalStateException("the file ledger opened with " + opened.size() + " events, not " + events);
        }
        opened.close();
        deleteTree(dir);
        return seconds;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * The events of the history, encoded as the ledger stores them, generated rollout by rollout on two threads
     * (device reports are signed by each device's key) and handed on in order.
     */
    private static final class History {
        final long events;
        final SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
        final SigningKey operatorKey = SigningKey.generate(KeyAlgorithm.ED25519);
        final SigningKey[] devices = new SigningKey[FLEET];

        History(long events) {
            this.events = events;
            Random random = new Random(14);
            for (int i = 0; i < FLEET; i++) {
                byte[] seed = new byte[32];
                random.nextBytes(seed);
                devices[i] = SigningKey.ed25519(seed);
            }
        }

        /**
         * Exactly {@code events} events: the vendor's key, then rollouts until the count is reached. The first pass
         * generates them (and keeps them in {@code cache}); later passes read the cache.
         */
        void forEach(Path cache, Consumer<byte[]> sink) throws Exception {
            if (Files.exists(cache)) {
                try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
                        Files.newInputStream(cache), 1 << 20))) {
                    for (long i = 0; i < events; i++) {
                        byte[] e = new byte[in.readInt()];
                        in.readFully(e);
                        sink.accept(e);
                    }
                }
                return;
            }
            Path partial = cache.resolveSibling(cache.getFileName() + ".partial");
            try (DataOutputStream keep = new DataOutputStream(new java.io.BufferedOutputStream(
                    Files.newOutputStream(partial), 1 << 20))) {
                Consumer<byte[]> both = e -> {
                    try {
                        keep.writeInt(e.length);
                        keep.write(e);
                    } catch (IOException x) {
                        throw new IllegalStateException(x);
                    }
                    sink.accept(e);
                };
                long index = 0;
                both.accept(encode(index++, EventTypes.KEY_REGISTERED, operatorKey.did(),
                        TrustEvents.registered(vendor.did(), "acme", Set.of(), "bench")));
                ExecutorService workers = Executors.newFixedThreadPool(2);
                try {
                    Deque<Future<List<LedgerEvent>>> pending = new ArrayDeque<>();
                    int rollout = 0;
                    while (index < events) {
                        while (pending.size() < 4) {
                            int r = rollout++;
                            pending.add(workers.submit(() -> rollout(r)));
                        }
                        List<byte[]> numbered = numbered(pending.poll().get(), index);
                        for (int i = 0; i < numbered.size() && index < events; i++, index++) {
                            both.accept(numbered.get(i));
                        }
                    }
                } finally {
                    workers.shutdownNow();
                }
            }
            Files.move(partial, cache);
        }

        /** The first events of a rollout after the history: what other nodes appended while the node was down. */
        List<byte[]> tail(int n) throws Exception {
            return numbered(rollout(1_000_000), events).subList(0, n);
        }

        /**
         * A rollout's events numbered from {@code first}: each its own time, and each change naming the index of the
         * rollout's previous change, as the engine writes them (a change naming another is ignored by every view).
         */
        private static List<byte[]> numbered(List<LedgerEvent> rollout, long first) throws Exception {
            List<byte[]> out = new ArrayList<>(rollout.size());
            long lastChange = -1;
            long index = first;
            for (LedgerEvent e : rollout) {
                byte[] payload = e.payload();
                if (e.type().equals(EventTypes.ROLLOUT_CREATED)) {
                    lastChange = index;
                } else if (e.type().equals(EventTypes.ROLLOUT_CHANGED)) {
                    RolloutEvents.Changed c = (RolloutEvents.Changed) RolloutEvents.decode(e.type(), payload);
                    payload = RolloutEvents.changed(new RolloutEvents.Changed(c.rollout(), c.state(), c.wave(),
                            c.reason(), c.by(), lastChange));
                    lastChange = index;
                }
                out.add(LedgerEventCodec.encode(new LedgerEvent(e.type(), T0.plusMillis(index), e.actor(), payload,
                        e.signature())));
                index++;
            }
            return out;
        }

        private static byte[] encode(long index, String type, String actor, byte[] payload) {
            return LedgerEventCodec.encode(new LedgerEvent(type, T0.plusMillis(index), actor, payload, null));
        }

        /** One rollout of 1,000 devices of the fleet, as the platform records it. */
        List<LedgerEvent> rollout(int r) throws Exception {
            List<LedgerEvent> out = new ArrayList<>(4 * DEVICES_PER_ROLLOUT + 4);
            long sequence = r + 1L;
            byte[] image = new byte[64];
            new Random(r).nextBytes(image);
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(image);
            Manifest m = new Manifest("acme", "thermo", null, "2." + sequence + ".0", sequence, 1 << 20, sha,
                    Cid.v0(sha), null, T0, vendor.did());
            String release = m.releaseId();
            out.add(event(EventTypes.RELEASE_PUBLISHED, vendor.did(),
                    ReleaseEvents.published(ManifestCodec.parse(ManifestCodec.sign(m, vendor)), "bench")));
            String id = "r-" + r;
            out.add(event(EventTypes.ROLLOUT_CREATED, operatorKey.did(), RolloutEvents.created(new RolloutEvents.Created(
                    id, release, DeviceFilter.ALL, List.of(new WaveSpec("all", WaveSelector.parse("percent:100"), 90,
                            10, true, null, 0)), "bench"))));
            // "after" (the index of the rollout's previous change) is set when the events are numbered
            out.add(event(EventTypes.ROLLOUT_CHANGED, operatorKey.did(), RolloutEvents.changed(
                    new RolloutEvents.Changed(id, RolloutState.RUNNING, 0, null, "bench", 0))));
            int first = (int) ((long) r * DEVICES_PER_ROLLOUT % FLEET);
            for (int d = 0; d < DEVICES_PER_ROLLOUT; d++) {
                int device = (first + d) % FLEET;
                String deviceId = String.format("dev-%05d", device);
                out.add(event(EventTypes.ROLLOUT_OFFERED, operatorKey.did(), RolloutEvents.offered(
                        new RolloutEvents.Offered(id, deviceId, release, 0))));
                long counter = 3L * r;
                for (DeviceState s : List.of(DeviceState.DOWNLOADING, DeviceState.VERIFIED, DeviceState.INSTALLED)) {
                    boolean done = s == DeviceState.INSTALLED;
                    out.add(event(EventTypes.DEVICE_REPORTED, devices[device].did(), DeviceReports.sign(
                            new DeviceReport(deviceId, id, release, s, null, done ? m.version() : "1.0.0",
                                    done ? sequence : 1, T0, ++counter), devices[device])));
                }
            }
            out.add(event(EventTypes.ROLLOUT_CHANGED, operatorKey.did(), RolloutEvents.changed(
                    new RolloutEvents.Changed(id, RolloutState.COMPLETED, 1, null, "bench", 0))));
            return out;
        }

        private static LedgerEvent event(String type, String actor, byte[] payload) {
            return new LedgerEvent(type, T0, actor, payload, null);
        }
    }

    private static HikariDataSource pool(DataSource schema) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(schema);
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        return new HikariDataSource(config);
    }
}
