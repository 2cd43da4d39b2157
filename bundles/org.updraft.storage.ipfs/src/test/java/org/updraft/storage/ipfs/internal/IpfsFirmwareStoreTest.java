package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.unixfs.ImportedFile;
import org.updraft.core.unixfs.IpfsCidOracle;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/** The store against a real js-ipfs node: CIDs, ranged reads, pins, status. */
class IpfsFirmwareStoreTest {

    private static final int CHUNK = CidOptions.DEFAULT_CHUNK_SIZE;
    private static final long THREE_MIB = 3L * 1024 * 1024 + 7;

    @TempDir
    static Path dir;
    private static IpfsDaemon daemon;
    private static IpfsFirmwareStore store;
    private static LocalFirmwareStore local;

    @BeforeAll
    static void startNode() throws Exception {
        daemon = IpfsDaemon.start(dir);
        store = new IpfsFirmwareStore(rpc(daemon.api()), CidOptions.DEFAULT, true);
        local = localStore(dir.resolve("local"));
    }

    @AfterAll
    static void stopNode() throws Exception {
        if (local != null) {
            local.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    /** The embedded store, built as Declarative Services would build it from its configuration. */
    static LocalFirmwareStore localStore(Path directory) throws StoreException {
        return new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", directory.toString(), "fsync", false)));
    }

    static KuboRpc rpc(URI api) {
        return new KuboRpc(api, Duration.ofSeconds(1), Duration.ofSeconds(20), Duration.ofSeconds(120),
                Duration.ofMillis(500), 2,
                Duration.ofMillis(100));
    }

    static Stream<Arguments> sizesAndModes() {
        List<Arguments> all = new ArrayList<>();
        for (CidOptions options : List.of(CidOptions.DEFAULT, CidOptions.V1)) {
            for (long size : new long[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, THREE_MIB}) {
                all.add(Arguments.of(size, options));
            }
        }
        all.add(Arguments.of(3L * CHUNK + 5, new CidOptions(1, false, CHUNK)));
        // 1 KiB chunks: 300 leaves need two levels of links (174 per node) in a file small enough to be quick
        all.add(Arguments.of(300L * 1024 + 3, new CidOptions(0, false, 1024)));
        all.add(Arguments.of(300L * 1024 + 3, new CidOptions(1, true, 1024)));
        return all.stream();
    }

    @ParameterizedTest(name = "{0} bytes, {1}")
    @MethodSource("sizesAndModes")
    void theNodesCidIsCoresAndTheLocalStoresAndTheBytesComeBack(long size, CidOptions options) throws Exception {
        long seed = size * 31 + options.cidVersion();
        StoredObject stored = store.put(new SeededContent(seed, size), options);

        assertEquals(UnixFsImporter.cid(new SeededContent(seed, size), options).cid(), stored.cid());
        assertEquals(local.put(new SeededContent(seed, size), options).cid(), stored.cid());
        assertEquals(size, stored.size());
        if (options.equals(CidOptions.DEFAULT)) {
            Path file = SeededContent.write(seed, size, dir.resolve("oracle-" + size));
            assertEquals(IpfsCidOracle.ask(file).v0(), stored.cid().toString());
        }
        // the node itself serves the bytes under that CID, not only through our client
        assertArrayEquals(sha256(new SeededContent(seed, size)), sha256(rawCat(stored.cid())));
        try (InputStream in = store.get(stored.cid())) {
            assertArrayEquals(sha256(new SeededContent(seed, size)), sha256(in));
        }
        ObjectStat stat = store.stat(stored.cid()).orElseThrow();
        assertEquals(size, stat.size());
        assertEquals(UnixFsImporter.cid(new SeededContent(seed, size), options).blocks(), stat.blocks());
        assertTrue(stat.pinned());
    }

    @Test
    void rangedReadsAreByteExact() throws Exception {
        int size = 3 * CHUNK + 5;
        byte[] content = SeededContent.bytes(77, size);
        for (CidOptions options : List.of(CidOptions.DEFAULT, CidOptions.V1)) {
            Cid cid = store.put(new SeededContent(77, size), options).cid();
            long[][] ranges = {{0, 10}, {CHUNK - 3, 7}, {CHUNK, CHUNK}, {2L * CHUNK - 1, CHUNK + 2}, {size - 5, 100},
                {size, 10}, {size + 1000, 1}, {12345, -1}, {0, -1}, {99, 0}};
            for (long[] range : ranges) {
                int from = (int) Math.min(range[0], size);
                int to = range[1] < 0 ? size : (int) Math.min(size, range[0] + range[1]);
                byte[] expected = Arrays.copyOfRange(content, from, Math.max(from, to));
                try (InputStream in = store.get(cid, range[0], range[1])) {
                    assertArrayEquals(expected, in.readAllBytes(),
                            "range " + range[0] + "+" + range[1] + " of " + options);
                }
            }
        }
    }

    @Test
    void aBlockTheNodeAltersIsRefusedBeforeAnyOfItsBytesAreServed() throws Exception {
        // the real node behind a relay that flips one byte of the second leaf (a compromised node, or whoever
        // answers at its address): reads must fail on that leaf and serve only the bytes before it
        int size = 3 * CHUNK + 5;
        byte[] content = SeededContent.bytes(78, size);
        Cid cid = store.put(new SeededContent(78, size), CidOptions.V1).cid();
        ImportedFile imported = UnixFsImporter.cid(new SeededContent(78, size), CidOptions.V1);
        Cid secondLeaf = Cid.v1(Cid.RAW, MessageDigest.getInstance("SHA-256")
                .digest(Arrays.copyOfRange(content, CHUNK, 2 * CHUNK)));
        assertEquals(cid, imported.cid());
        try (TamperingRelay relay = TamperingRelay.start(daemon.api(), secondLeaf.toString())) {
            IpfsFirmwareStore lied = new IpfsFirmwareStore(rpc(relay.api()), CidOptions.V1, false);

            byte[] served = new byte[size];
            int n = 0;
            StoreException refused;
            try (InputStream in = lied.get(cid)) {
                while (n < size) {
                    int r = in.read(served, n, size - n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                refused = null;
            } catch (StoreException e) {
                refused = e;
            }
            assertTrue(refused != null, "an altered block was served");
            assertTrue(refused.getMessage().contains(secondLeaf.toString())
                    && refused.getMessage().contains("does not match its hash"), refused.getMessage());
            assertEquals(CHUNK, n, "only the first leaf's bytes, which are intact");
            assertArrayEquals(Arrays.copyOf(content, CHUNK), Arrays.copyOf(served, n));
            assertTrue(relay.altered() > 0);
            // a range within the intact leaves still reads
            try (InputStream in = lied.get(cid, 2L * CHUNK, 100)) {
                assertArrayEquals(Arrays.copyOfRange(content, 2 * CHUNK, 2 * CHUNK + 100), in.readAllBytes());
            }
        }
    }

    @Test
    void anObjectTheNodeLacksIsNotFound() throws Exception {
        Cid absent = UnixFsImporter.cid(new SeededContent(4242, 1000), CidOptions.DEFAULT).cid();
        assertTrue(store.stat(absent).isEmpty());
        assertThrows(ObjectNotFoundException.class, () -> store.get(absent));
        assertThrows(ObjectNotFoundException.class, () -> store.pin(absent));
    }

    @Test
    void pinsAreListedAndCanBeRemovedAndRestored() throws Exception {
        Cid cid = store.put(new SeededContent(99, 5000), CidOptions.V1).cid();
        assertTrue(listed(cid));

        store.unpin(cid);
        assertFalse(listed(cid));
        assertFalse(store.stat(cid).orElseThrow().pinned(), "unpinned but still held until garbage collection");
        store.unpin(cid); // twice is harmless

        store.pin(cid);
        assertTrue(listed(cid));
        assertTrue(store.stat(cid).orElseThrow().pinned());
    }

    @Test
    void statusNamesTheNodeAndCountsPins() throws Exception {
        store.put(new SeededContent(5, 10));
        StoreStatus status = store.status();
        assertTrue(status.available(), status.detail());
        assertEquals("ipfs", status.kind());
        assertTrue(status.detail().contains(daemon.api().toString()), status.detail());
        assertTrue(status.objects() >= 1, status.toString());
    }

    @Test
    void aFailingUploadStoresNothing() throws Exception {
        int before = store.list().size();
        InputStream failing = new SeededContent(6, 3L * CHUNK) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > CHUNK + 100) {
                    throw new IOException("disk unplugged");
                }
                int n = super.read(b, off, len);
                read += Math.max(0, n);
                return n;
            }
        };
        StoreException e = assertThrows(StoreException.class, () -> store.put(failing));
        assertTrue(e.getMessage().startsWith("ipfs add: "), e.getMessage());
        assertEquals(before, store.list().size());
    }

    @Test
    void theRpcClientAnswersVersionAndBlockStatAndNamesTheNodesErrors() throws Exception {
        KuboRpc rpc = rpc(daemon.api());
        assertTrue(rpc.version().matches("\\d+\\.\\d+\\.\\d+.*"), rpc.version());

        Cid leaf = store.put(new SeededContent(12, 1000), CidOptions.V1).cid(); // one raw block
        KuboRpc.BlockStat stat = rpc.blockStat(leaf);
        assertEquals(leaf, stat.cid());
        assertEquals(1000, stat.size());

        Cid node = store.put(new SeededContent(13, 1000)).cid(); // one dag-pb block wrapping the bytes
        assertTrue(rpc.blockStat(node).size() > 1000);

        rpc.pinRm(node);
        StoreException e = assertThrows(StoreException.class, () -> rpc.pinRm(node));
        assertTrue(e.getMessage().startsWith("ipfs pin/rm: ") && e.getMessage().contains("not pinned"),
                e.getMessage());
    }

    private static boolean listed(Cid cid) throws StoreException {
        return store.list().stream().anyMatch(s -> s.cid().equals(cid));
    }

    /** {@code POST /api/v0/cat?arg=CID} straight to the node, as the acceptance check says. */
    private static InputStream rawCat(Cid cid) throws IOException, InterruptedException {
        HttpResponse<InputStream> answer = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(daemon.api().resolve("/api/v0/cat?arg=" + cid))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, answer.statusCode());
        return answer.body();
    }

    static byte[] sha256(InputStream in) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) >= 0;) {
            sha.update(buffer, 0, n);
        }
        in.close();
        return sha.digest();
    }
}
