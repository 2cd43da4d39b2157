package org.updraft.storage.local.internal;

import org.updraft.core.unixfs.SeededContent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.storage.local.internal.LocalFirmwareStoreTest.filesUnder;
import static org.updraft.storage.local.internal.LocalFirmwareStoreTest.sha256;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.SequenceInputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoredObject;
import org.updraft.core.unixfs.ImportedFile;
import org.updraft.core.unixfs.UnixFsImporter;

/** What survives a put that dies half-way: only the objects that were stored before it. */
class StoreCrashTest {

    private static final int CHUNK = CidOptions.DEFAULT_CHUNK_SIZE;

    @Test
    void aPutKilledHalfWayLeavesNoTraceAndNeverCostsAPinnedBlock(@TempDir Path dir) throws Exception {
        LocalFirmwareStore store = new LocalFirmwareStore(dir, true);
        StoredObject x = store.put(new SeededContent(20, 6L * CHUNK + 5));
        StoredObject y = store.put(new SeededContent(21, 1000), CidOptions.V1);
        store.close();
        Set<Path> survivors = new HashSet<>(filesUnder(dir.resolve("blocks")));

        // A put that crashed after moving its blocks in, before its record: it shares three leaves with x.
        BlockFiles blocks = new BlockFiles(dir.resolve("blocks"));
        UnixFsImporter orphan = new UnixFsImporter(CidOptions.DEFAULT, (cid, block) -> {
            Path file = blocks.path(cid);
            Files.createDirectories(file.getParent());
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                out.write(block);
            }
        });
        orphan.readFrom(new SequenceInputStream(new SeededContent(20, 3L * CHUNK), new SeededContent(22, 2L * CHUNK)));
        ImportedFile planted = orphan.finish();
        assertEquals(survivors.size() + 3, filesUnder(dir.resolve("blocks")).size(), "two new leaves and a root");

        // A put killed with SIGKILL in another JVM while its content was still arriving.
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), CrashingPut.class.getName(),
                dir.toString(), "23", String.valueOf(20L * CHUNK), String.valueOf(10L * CHUNK))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("HALFWAY", out.readLine(), "the child store did not get half-way");
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertFalse(filesUnder(dir.resolve("staging")).isEmpty(), "the killed put should have left staged blocks");

        LocalFirmwareStore reopened = new LocalFirmwareStore(dir, true);
        try {
            assertEquals(Set.of(x.cid(), y.cid()),
                    Set.copyOf(reopened.list().stream().map(ObjectStat::cid).toList()));
            assertTrue(reopened.stat(planted.cid()).isEmpty());
            assertEquals(List.of(), filesUnder(dir.resolve("staging")));
            assertEquals(survivors, new HashSet<>(filesUnder(dir.resolve("blocks"))));
            try (InputStream in = reopened.get(x.cid())) {
                assertArrayEquals(sha256(new SeededContent(20, 6L * CHUNK + 5)), sha256(in));
            }
            try (InputStream in = reopened.get(y.cid())) {
                assertArrayEquals(SeededContent.bytes(21, 1000), in.readAllBytes());
            }
        } finally {
            reopened.close();
        }
    }

    @Test
    void closingDuringAStalledPutDoesNotWaitForItAndTheStalledPutStoresNothing(@TempDir Path dir) throws Exception {
        LocalFirmwareStore store = new LocalFirmwareStore(dir, true);
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        ExecutorService uploader = Executors.newSingleThreadExecutor();
        try {
            Future<StoredObject> put = uploader.submit(() -> store.put(new SeededContent(30, 8L * CHUNK) {
                long served;

                @Override
                public int read(byte[] b, int off, int len) throws java.io.IOException {
                    if (served >= 4L * CHUNK && halfway.getCount() > 0) {
                        halfway.countDown();
                        try {
                            resume.await();
                        } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                        }
                    }
                    int n = super.read(b, off, (int) Math.min(len, CHUNK));
                    served += Math.max(n, 0);
                    return n;
                }
            }));
            assertTrue(halfway.await(30, TimeUnit.SECONDS));

            // returns although the upload is stalled
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), store::close);
            resume.countDown();

            java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> put.get(30, TimeUnit.SECONDS));
            assertTrue(failed.getCause() instanceof StoreException, failed.getCause().toString());
            assertTrue(failed.getCause().getMessage().contains("shutting down"), failed.getCause().getMessage());
        } finally {
            uploader.shutdownNow();
        }
        LocalFirmwareStore reopened = new LocalFirmwareStore(dir, true);
        try {
            assertEquals(List.of(), reopened.list());
            assertEquals(List.of(), filesUnder(dir.resolve("blocks")));
            assertEquals(List.of(), filesUnder(dir.resolve("staging")));
        } finally {
            reopened.close();
        }
    }
}
