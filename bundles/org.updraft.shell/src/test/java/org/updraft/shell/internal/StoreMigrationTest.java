package org.updraft.shell.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.multiformats.Multibase;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.StoreException;
import org.updraft.shell.internal.migration.MigratedObject;
import org.updraft.shell.internal.migration.MigratedObject.Outcome;
import org.updraft.shell.internal.migration.MigrationReport;
import org.updraft.shell.internal.migration.StoreMigration;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/** store-migrate's core on two real local stores in temporary directories. */
class StoreMigrationTest {

    @TempDir
    Path dir;

    private LocalFirmwareStore source;
    private LocalFirmwareStore target;
    /** What the source holds: CID to the bytes put. */
    private final Map<Cid, byte[]> stored = new LinkedHashMap<>();

    static LocalFirmwareStore open(Path directory) throws StoreException {
        return open(directory, false);
    }

    static LocalFirmwareStore open(Path directory, boolean fsync) throws StoreException {
        LocalStoreConfig config = Configs.of(LocalStoreConfig.class,
                Map.of("directory", directory.toString(), "fsync", fsync));
        return new LocalFirmwareStore(config);
    }

    @BeforeEach
    void stores() throws Exception {
        source = open(dir.resolve("source"));
        target = open(dir.resolve("target"));
    }

    @AfterEach
    void close() {
        Thread.interrupted();
        source.close();
        target.close();
    }

    private Cid put(long seed, int size, CidOptions options) throws IOException {
        byte[] bytes = SeededContent.bytes(seed, size);
        Cid cid = source.put(new ByteArrayInputStream(bytes), options).cid();
        stored.put(cid, bytes);
        return cid;
    }

    /** Objects made the ways ipfs add makes them, one to four chunks each. */
    private void usualObjects() throws IOException {
        put(1, 6, CidOptions.DEFAULT);
        put(2, 3 * 256 * 1024 + 5, CidOptions.DEFAULT);
        put(3, 2 * 256 * 1024 + 9, CidOptions.V1);
        put(4, 100_000, CidOptions.V1);
        put(5, 2 * 256 * 1024 + 1, new CidOptions(1, false, 256 * 1024));
        put(6, 1024 * 1024 + 3, new CidOptions(0, false, 1024 * 1024));
        put(7, 0, CidOptions.DEFAULT);
    }

    private static byte[] read(LocalFirmwareStore store, Cid cid) throws IOException {
        try (InputStream in = store.get(cid)) {
            return in.readAllBytes();
        }
    }

    private void assertTargetHoldsAll() throws IOException {
        for (Map.Entry<Cid, byte[]> e : stored.entrySet()) {
            assertTrue(target.stat(e.getKey()).orElseThrow().pinned(), e.getKey() + " pinned in the target");
            assertArrayEquals(e.getValue(), read(target, e.getKey()), e.getKey().toString());
        }
    }

    private static Map<Outcome, Long> outcomes(MigrationReport report) {
        return report.objects().stream().collect(Collectors.groupingBy(MigratedObject::outcome, Collectors.counting()));
    }

    private static MigratedObject of(MigrationReport report, Cid cid) {
        return report.objects().stream().filter(o -> o.cid().equals(cid)).findFirst().orElseThrow();
    }

    @Test
    void everyObjectArrivesUnderItsCidAndASecondRunFindsThemThere() throws Exception {
        usualObjects();
        Cid dropped = put(8, 500, CidOptions.DEFAULT);
        source.unpin(dropped);
        stored.remove(dropped);

        List<Long> done = new ArrayList<>();
        MigrationReport first = new StoreMigration(source, "local", target, "local2").run(false,
                s -> done.add(s.objectsDone()));
        assertTrue(first.succeeded(), first.problems().toString());
        assertEquals(stored.size(), first.count(Outcome.COPIED), first.summary());
        assertEquals(stored.values().stream().mapToLong(b -> b.length).sum(), first.bytesCopied());
        assertEquals((long) stored.size(), done.get(done.size() - 1), "progress ends at n/N");
        assertTargetHoldsAll();
        assertTrue(target.stat(dropped).isEmpty(), "an unpinned object is garbage; it is not migrated");
        MigratedObject v1DagPbLeaves = first.objects().stream()
                .filter(o -> o.options() != null && o.options().cidVersion() == 1 && !o.options().rawLeaves()
                        && o.size() > 256 * 1024)
                .findFirst().orElseThrow();
        assertEquals(Outcome.COPIED, v1DagPbLeaves.outcome(), "found with the second candidate");

        MigrationReport second = new StoreMigration(source, "local", target, "local2").run(false, null);
        assertEquals(Map.of(Outcome.ALREADY_THERE, (long) stored.size()), outcomes(second));
        assertEquals(0, second.bytesCopied());
        assertTrue(second.succeeded());
    }

    @Test
    void aDryRunWritesNothing() throws Exception {
        usualObjects();
        Cid cid = stored.keySet().iterator().next();
        target.put(new ByteArrayInputStream(stored.get(cid)), CidOptions.DEFAULT);
        target.unpin(cid);

        MigrationReport report = new StoreMigration(source, "local", target, "local2").run(true, null);
        assertTrue(report.dryRun());
        assertEquals(Map.of(Outcome.WOULD_COPY, (long) stored.size() - 1, Outcome.ALREADY_THERE, 1L),
                outcomes(report));
        assertTrue(report.summary().startsWith((stored.size() - 1) + " would be copied"), report.summary());
        assertEquals(0, target.list().size(), "nothing copied, nothing pinned");

        // a real run pins what the target holds unpinned
        new StoreMigration(source, "local", target, "local2").run(false, null);
        assertTrue(target.stat(cid).orElseThrow().pinned());
    }

    @Test
    void anInterruptedRunLeavesNothingHalfWrittenAndTheNextRunFinishes() throws Exception {
        usualObjects();
        boolean[] fired = {false};
        MigrationReport first = new StoreMigration(source, "local", target, "local2").run(false, s -> {
            // Ctrl-C in the shell interrupts the command's thread: here, while the bytes of an object flow
            if (!fired[0] && s.objectsDone() >= 2 && s.current() != null) {
                fired[0] = true;
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(Thread.interrupted(), "the interrupt is handed back to the caller");
        assertEquals("interrupted", first.stoppedBecause());
        assertFalse(first.succeeded());
        List<MigratedObject> objects = first.objects();
        int cutAt = objects.indexOf(objects.stream().filter(o -> o.outcome() == Outcome.FAILED).findFirst()
                .orElseThrow());
        assertTrue(cutAt >= 2 && cutAt < objects.size() - 1, "cut at " + cutAt);
        objects.subList(0, cutAt).forEach(o -> assertEquals(Outcome.COPIED, o.outcome()));
        MigratedObject cut = objects.get(cutAt);
        assertTrue(cut.reason().contains("interrupted"), cut.reason());
        assertTrue(target.stat(cut.cid()).isEmpty(), "the object cut off is not in the target");
        for (MigratedObject o : objects.subList(cutAt + 1, objects.size())) {
            assertEquals(Outcome.NOT_ATTEMPTED, o.outcome());
            assertTrue(target.stat(o.cid()).isEmpty());
        }

        MigrationReport second = new StoreMigration(source, "local", target, "local2").run(false, null);
        assertTrue(second.succeeded(), second.problems().toString());
        assertEquals(cutAt, second.count(Outcome.ALREADY_THERE));
        assertEquals(stored.size() - cutAt, second.count(Outcome.COPIED));
        assertTargetHoldsAll();
    }

    @Test
    void aCorruptSourceObjectIsNamedAndNeverReachesTheTarget() throws Exception {
        usualObjects();
        Set<Path> before = blockFiles(dir.resolve("source"));
        Cid damaged = put(9, 3 * 256 * 1024, CidOptions.DEFAULT);
        // damage a leaf in the middle: bytes before it are already on their way to the target
        Path root = blockFile(dir.resolve("source"), damaged);
        Path leaf = blockFiles(dir.resolve("source")).stream().filter(p -> !before.contains(p) && !p.equals(root))
                .sorted().skip(1).findFirst().orElseThrow();
        byte[] bytes = Files.readAllBytes(leaf);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(leaf, bytes);

        MigrationReport report = new StoreMigration(source, "local", target, "local2").run(false, null);
        MigratedObject bad = of(report, damaged);
        assertEquals(Outcome.FAILED, bad.outcome());
        assertTrue(bad.reason().startsWith("source object " + damaged + " is corrupt"), bad.reason());
        assertTrue(target.stat(damaged).isEmpty(), "nothing of it is in the target");
        assertEquals(stored.size() - 1, report.count(Outcome.COPIED), "the others are copied");
        assertNull(report.stoppedBecause(), "a bad object does not stop the run");
        assertFalse(report.succeeded());

        ByteArrayOutputStream text = new ByteArrayOutputStream();
        StoreMigrateCommand.print(report, new PrintStream(text, true, StandardCharsets.UTF_8));
        String shown = text.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains("FAILED   " + damaged + ": source object " + damaged + " is corrupt"), shown);
        assertTrue(shown.contains((stored.size() - 1) + " copied, 0 already there, 1 failed, 0 not attempted"), shown);
    }

    @Test
    void bytesThatDoNotHashToTheirCidAreRefusedBeforeTheTargetCommits() throws Exception {
        // 600,000 bytes in two chunks of 300,000: two leaves, which 512 KiB chunks would also give
        Cid odd = put(10, 600_000, new CidOptions(0, false, 300_000));
        // 350,000 bytes in chunks of 100,000: four leaves, which no usual chunk size gives
        Cid unusual = put(11, 350_000, new CidOptions(0, false, 100_000));
        Cid fine = put(12, 1000, CidOptions.DEFAULT);

        MigrationReport report = new StoreMigration(source, "local", target, "local2").run(false, null);
        MigratedObject refused = of(report, odd);
        assertEquals(Outcome.FAILED, refused.outcome());
        assertTrue(refused.reason().contains("do not hash to " + odd), refused.reason());
        assertTrue(target.stat(odd).isEmpty());
        assertEquals(0, target.list().stream().filter(o -> o.size() == 600_000).count(),
                "no object made with the wrong options was committed either");
        MigratedObject underivable = of(report, unusual);
        assertEquals(Outcome.FAILED, underivable.outcome());
        assertTrue(underivable.reason().startsWith("cannot derive the CID options that reproduce " + unusual),
                underivable.reason());
        assertEquals(Outcome.COPIED, of(report, fine).outcome());
    }

    @Test
    void aTargetThatGoesDownMidwayStopsTheRunAndARunOnTheRestartedTargetFinishes() throws Exception {
        usualObjects();
        boolean[] fired = {false};
        MigrationReport first = new StoreMigration(source, "local", target, "local2").run(false, s -> {
            // the store stops while an object's bytes flow into it
            if (!fired[0] && s.objectsDone() >= 3 && s.current() != null) {
                fired[0] = true;
                target.close();
            }
        });
        assertNotNull(first.stoppedBecause());
        assertTrue(first.stoppedBecause().startsWith("the target store local2 became unavailable"),
                first.stoppedBecause());
        List<MigratedObject> objects = first.objects();
        int cutAt = objects.indexOf(objects.stream().filter(o -> o.outcome() == Outcome.FAILED).findFirst()
                .orElseThrow());
        assertTrue(cutAt >= 3, "cut at " + cutAt);
        MigratedObject cut = objects.get(cutAt);
        assertTrue(cut.reason().startsWith("the local2 store failed to store " + cut.cid()), cut.reason());
        assertEquals(objects.size() - cutAt - 1, first.count(Outcome.NOT_ATTEMPTED));

        target = open(dir.resolve("target"));
        assertTrue(target.stat(cut.cid()).isEmpty(), "the put cut off is not in the restarted target");
        MigrationReport second = new StoreMigration(source, "local", target, "local2").run(false, null);
        assertTrue(second.succeeded(), second.problems().toString());
        assertEquals(cutAt, second.count(Outcome.ALREADY_THERE));
        assertTargetHoldsAll();
    }

    @Test
    void aStoreThatIsDownRefusesTheRunWithItsName() throws Exception {
        usualObjects();
        target.close();
        StoreException e = assertThrows(StoreException.class,
                () -> new StoreMigration(source, "local", target, "ipfs").run(false, null));
        assertTrue(e.getMessage().startsWith("the target store ipfs is unavailable"), e.getMessage());
    }

    private static Set<Path> blockFiles(Path store) throws IOException {
        try (Stream<Path> files = Files.walk(store.resolve("blocks"))) {
            return files.filter(Files::isRegularFile).collect(Collectors.toCollection(HashSet::new));
        }
    }

    private static Path blockFile(Path store, Cid cid) throws IOException {
        String name = Multibase.encodeBase32(cid.multihash());
        return blockFiles(store).stream().filter(p -> p.getFileName().toString().equals(name)).findFirst()
                .orElseThrow();
    }
}
