package org.updraft.storage.local.internal;

import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.unixfs.IpfsCidOracle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.CorruptObjectException;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.unixfs.UnixFsNode;

class LocalFirmwareStoreTest {

    private static final int CHUNK = CidOptions.DEFAULT_CHUNK_SIZE;
    private static final long TWO_LEVELS = 45L * 1024 * 1024 + 12_345;
    private static final CidOptions V1_DAG_PB_LEAVES = new CidOptions(1, false, CHUNK);

    @TempDir
    Path dir;
    private LocalFirmwareStore store;

    @BeforeEach
    void open() throws StoreException {
        store = new LocalFirmwareStore(dir, true);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static Stream<Arguments> sizesAndModes() {
        List<Arguments> all = new ArrayList<>();
        for (CidOptions options : List.of(CidOptions.DEFAULT, CidOptions.V1)) {
            for (long size : new long[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, TWO_LEVELS}) {
                all.add(Arguments.of(size, options));
            }
        }
        all.add(Arguments.of(3L * CHUNK + 5, V1_DAG_PB_LEAVES));
        return all.stream();
    }

    @ParameterizedTest(name = "{0} bytes, {1}")
    @MethodSource("sizesAndModes")
    void storesAndReturnsEveryByte(long size, CidOptions options) throws Exception {
        StoredObject stored = store.put(new SeededContent(size, size), options);

        assertEquals(size, stored.size());
        assertEquals(options.cidVersion(), stored.cid().version());
        try (InputStream in = store.get(stored.cid())) {
            assertArrayEquals(sha256(new SeededContent(size, size)), sha256(in));
        }
        ObjectStat stat = store.stat(stored.cid()).orElseThrow();
        assertEquals(size, stat.size());
        assertTrue(stat.pinned());
        assertEquals(List.of(stat), store.list());
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("oracleSizes")
    void cidIsWhatIpfsCidComputes(long size, @TempDir Path scratch) throws Exception {
        Path file = SeededContent.write(size, size, scratch.resolve("content"));

        StoredObject stored = store.put(new SeededContent(size, size));

        assertEquals(IpfsCidOracle.ask(file).v0(), stored.cid().toString());
    }

    static Stream<Long> oracleSizes() {
        return Stream.of(0L, 1L, (long) CHUNK - 1, (long) CHUNK, CHUNK + 1L, TWO_LEVELS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void servesRanges(CidOptions options) throws Exception {
        int size = 5 * CHUNK + 17;
        byte[] content = SeededContent.bytes(3, size);
        Cid cid = store.put(new SeededContent(3, size), options).cid();

        long[][] ranges = {
            {0, 100}, // start
            {CHUNK - 10, 20}, // across a chunk boundary
            {CHUNK, CHUNK}, // exactly one chunk
            {2 * CHUNK + 5, 2 * CHUNK + 3}, // spanning three chunks
            {size - 17, 17}, // end
            {size - 5, 100}, // past the end: cut at the end
            {size, 10}, // at the end: nothing
            {size + 100, 10}, // beyond the end: nothing
            {1234, 0}, // zero length
            {3 * CHUNK + 1, -1}, // to the end
        };
        for (long[] r : ranges) {
            int from = (int) Math.min(r[0], size);
            int to = r[1] < 0 ? size : (int) Math.min(size, from + r[1]);
            try (InputStream in = store.get(cid, r[0], r[1])) {
                assertArrayEquals(Arrays.copyOfRange(content, from, to), in.readAllBytes(),
                        "range " + r[0] + "+" + r[1]);
            }
        }
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> store.get(cid, -1, 5));
        assertEquals("offset must not be negative, was -1", negative.getMessage());
    }

    static Stream<CidOptions> modes() {
        return Stream.of(CidOptions.DEFAULT, CidOptions.V1, V1_DAG_PB_LEAVES);
    }

    @Test
    void aRangeReadsOnlyTheLeavesItCovers() throws Exception {
        int size = 5 * CHUNK;
        byte[] content = SeededContent.bytes(4, size);
        Cid cid = store.put(new SeededContent(4, size)).cid();
        // damage the first leaf: a range in the fourth must not notice
        corrupt(leaf(cid, 0));

        try (InputStream in = store.get(cid, 3L * CHUNK + 7, 1000)) {
            assertArrayEquals(Arrays.copyOfRange(content, 3 * CHUNK + 7, 3 * CHUNK + 1007), in.readAllBytes());
        }
    }

    @Test
    void anInterruptedPutLeavesNothingBehind() throws Exception {
        long size = 10L * CHUNK;
        Cid whole = store.put(new SeededContent(5, size)).cid();
        store.unpin(whole);
        store.close();
        store = new LocalFirmwareStore(dir, true); // the restart drops the unpinned object: an empty store
        assertTrue(store.stat(whole).isEmpty());

        InputStream failing = new SeededContent(5, size) {
            long left = 6L * CHUNK + 100;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    throw new IOException("connection reset by peer");
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                left -= n;
                return n;
            }
        };
        StoreException thrown = assertThrows(StoreException.class, () -> store.put(failing));

        assertTrue(thrown.getMessage().contains("connection reset by peer"), thrown.getMessage());
        assertEquals(List.of(), store.list());
        assertTrue(store.stat(whole).isEmpty());
        assertThrows(ObjectNotFoundException.class, () -> store.get(whole));
        assertEquals(List.of(), filesUnder(dir.resolve("blocks")));
        assertEquals(List.of(), filesUnder(dir.resolve("staging")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void aCorruptBlockIsReportedAndNoneOfItsBytesServed(CidOptions options) throws Exception {
        int size = 4 * CHUNK + 99;
        byte[] content = SeededContent.bytes(6, size);
        Cid cid = store.put(new SeededContent(6, size), options).cid();
        Cid damaged = leafCid(cid, 2);
        corrupt(store.blocksPath(damaged));

        byte[] received = new byte[size];
        int total = 0;
        CorruptObjectException thrown = null;
        try (InputStream in = store.get(cid)) {
            for (int n; (n = in.read(received, total, size - total)) > 0;) {
                total += n;
            }
        } catch (CorruptObjectException e) {
            thrown = e;
        }
        assertNotNull(thrown, "the damaged block was served");
        assertTrue(thrown.getMessage().contains(damaged.toString()), thrown.getMessage());
        assertEquals(2 * CHUNK, total, "bytes served before the damaged block");
        assertArrayEquals(Arrays.copyOf(content, total), Arrays.copyOf(received, total));

        // a range inside the damaged block fails before its first byte
        try (InputStream in = store.get(cid, 2L * CHUNK + 10, 10)) {
            assertThrows(CorruptObjectException.class, () -> in.read(new byte[10]));
        }

        // putting the same bytes again repairs the block
        store.put(new SeededContent(6, size), options);
        try (InputStream in = store.get(cid)) {
            assertArrayEquals(content, in.readAllBytes());
        }
    }

    @Test
    void aCorruptRootFailsTheGet() throws Exception {
        Cid cid = store.put(new SeededContent(7, 3 * CHUNK)).cid();
        corrupt(store.blocksPath(cid));

        CorruptObjectException thrown = assertThrows(CorruptObjectException.class, () -> store.get(cid));
        assertTrue(thrown.getMessage().contains(cid.toString()), thrown.getMessage());
    }

    @Test
    void aRestartedStoreSeesTheSameObjects() throws Exception {
        StoredObject a = store.put(new SeededContent(8, 3L * CHUNK + 1));
        StoredObject b = store.put(new SeededContent(9, 1000), CidOptions.V1);
        List<ObjectStat> before = sorted(store.list());
        store.close();

        store = new LocalFirmwareStore(dir, true);

        assertEquals(before, sorted(store.list()));
        try (InputStream in = store.get(a.cid())) {
            assertArrayEquals(sha256(new SeededContent(8, 3L * CHUNK + 1)), sha256(in));
        }
        try (InputStream in = store.get(b.cid())) {
            assertArrayEquals(SeededContent.bytes(9, 1000), in.readAllBytes());
        }
    }

    @Test
    void aRestartDropsUnpinnedObjectsButKeepsBlocksPinnedOnesShare() throws Exception {
        long size = 6L * CHUNK;
        StoredObject kept = store.put(new SeededContent(10, size));
        // the same first three chunks, then different ones: three leaves are shared
        InputStream sharing = new SequenceInputStream(new SeededContent(10, 3L * CHUNK), new SeededContent(11, CHUNK));
        StoredObject dropped = store.put(sharing);
        store.unpin(dropped.cid());
        int blocksBefore = filesUnder(dir.resolve("blocks")).size();
        store.close();

        store = new LocalFirmwareStore(dir, true);

        assertTrue(store.stat(dropped.cid()).isEmpty());
        assertEquals(List.of(kept.cid()), store.list().stream().map(ObjectStat::cid).toList());
        // kept: 6 leaves and a root; dropped had 3 shared leaves, 1 own leaf and a root
        assertEquals(7, filesUnder(dir.resolve("blocks")).size());
        assertEquals(7 + 2, blocksBefore);
        try (InputStream in = store.get(kept.cid())) {
            assertArrayEquals(sha256(new SeededContent(10, size)), sha256(in));
        }
    }

    @Test
    void unpinHidesFromTheListButKeepsServingUntilCollected() throws Exception {
        Cid cid = store.put(new SeededContent(12, 500)).cid();

        store.unpin(cid);
        assertEquals(List.of(), store.list());
        assertFalse(store.stat(cid).orElseThrow().pinned());
        try (InputStream in = store.get(cid)) {
            assertEquals(500, in.readAllBytes().length);
        }

        store.pin(cid);
        assertTrue(store.stat(cid).orElseThrow().pinned());
        assertEquals(1, store.list().size());

        Cid unknown = Cid.v0(new byte[32]);
        assertThrows(ObjectNotFoundException.class, () -> store.pin(unknown));
        assertThrows(ObjectNotFoundException.class, () -> store.unpin(unknown));
        assertThrows(ObjectNotFoundException.class, () -> store.get(unknown));
        assertTrue(store.stat(unknown).isEmpty());
    }

    @Test
    void aStrayFileAmongTheRecordsKeepsEveryBlockAndIsNamed() throws Exception {
        Cid kept = store.put(new SeededContent(15, 2L * CHUNK)).cid();
        Cid unpinned = store.put(new SeededContent(16, 2L * CHUNK)).cid();
        store.unpin(unpinned);
        Files.writeString(dir.resolve("objects").resolve(kept + "~"), "left by an editor");
        int blocks = filesUnder(dir.resolve("blocks")).size();
        store.close();

        store = new LocalFirmwareStore(dir, true);

        // the sweep cannot know what the unreadable record protected, so it deletes nothing
        assertEquals(blocks, filesUnder(dir.resolve("blocks")).size());
        assertEquals(List.of(kept), store.list().stream().map(ObjectStat::cid).toList());
        assertTrue(store.status().detail().contains("1 damaged object records"), store.status().detail());
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefused() {
        StoreException thrown = assertThrows(StoreException.class, () -> new LocalFirmwareStore(dir, true));
        assertTrue(thrown.getMessage().contains("in use"), thrown.getMessage());
    }

    @Test
    void aClosedStoreRefusesWork() throws Exception {
        store.close();
        assertThrows(StoreException.class, () -> store.put(new SeededContent(1, 10)));
        assertFalse(store.status().available());
    }

    @Test
    void statusCountsPinnedObjectsAndShowsTheDirectory() throws Exception {
        store.put(new SeededContent(13, 1000));
        Cid unpinned = store.put(new SeededContent(14, 2000)).cid();
        store.unpin(unpinned);

        StoreStatus status = store.status();

        assertEquals("local", status.kind());
        assertTrue(status.available());
        assertEquals(1, status.objects());
        assertEquals(1000, status.bytes());
        assertTrue(status.detail().contains(dir.toAbsolutePath().normalize().toString()), status.detail());
        assertTrue(status.detail().contains("bytes free"), status.detail());
    }

    @Test
    void concurrentPutsAndGetsAllSucceed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Cid>> puts = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                long seed = i % 4; // each content three times, racing itself
                long size = (seed + 1) * CHUNK + seed * 1000;
                CidOptions options = i % 2 == 0 ? CidOptions.DEFAULT : CidOptions.V1;
                puts.add(pool.submit(() -> {
                    Cid cid = store.put(new SeededContent(100 + seed, size), options).cid();
                    try (InputStream in = store.get(cid)) {
                        assertArrayEquals(sha256(new SeededContent(100 + seed, size)), sha256(in));
                    }
                    return cid;
                }));
            }
            Set<Cid> cids = new HashSet<>();
            for (Future<Cid> put : puts) {
                cids.add(put.get());
            }
            assertEquals(cids, store.list().stream().map(ObjectStat::cid).collect(Collectors.toSet()));
            assertEquals(List.of(), filesUnder(dir.resolve("staging")));
        } finally {
            pool.shutdownNow();
        }
    }

    private Cid leafCid(Cid root, int index) throws IOException {
        UnixFsNode node = UnixFsNode.decode(root, Files.readAllBytes(store.blocksPath(root)));
        return node.links().get(index).cid();
    }

    private Path leaf(Cid root, int index) throws IOException {
        return store.blocksPath(leafCid(root, index));
    }

    private static void corrupt(Path block) throws IOException {
        byte[] bytes = Files.readAllBytes(block);
        bytes[bytes.length / 2] ^= 0x20;
        Files.write(block, bytes);
    }

    static List<Path> filesUnder(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private static List<ObjectStat> sorted(List<ObjectStat> stats) {
        return stats.stream().sorted((x, y) -> x.cid().compareTo(y.cid())).toList();
    }

    static byte[] sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) > 0;) {
            md.update(buffer, 0, n);
        }
        return md.digest();
    }
}
