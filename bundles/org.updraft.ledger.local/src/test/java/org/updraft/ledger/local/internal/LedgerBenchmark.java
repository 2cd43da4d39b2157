package org.updraft.ledger.local.internal;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.core.log.MerkleTree;

/**
 * Measures, does not assert: the disk's raw fsync rate, appends per second with group commit for several
 * numbers of concurrent appenders, and proof generation and verification per second. Run with
 * {@code java -cp <test classpath> org.updraft.ledger.local.internal.LedgerBenchmark [directory] [seconds]}.
 */
public final class LedgerBenchmark {

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        Path dir = Files.createTempDirectory(base, "ledger-bench");
        System.out.printf("directory %s, %.0f s per measurement, %d cores%n", dir, seconds,
                Runtime.getRuntime().availableProcessors());
        rawFsync(dir, seconds);
        int[] concurrency = {1, 4, 16, 64, 128};
        for (int threads : concurrency) {
            appends(dir.resolve("sync-" + threads), threads, seconds, true);
        }
        appends(dir.resolve("nosync-64"), 64, seconds, false);
        proofs(dir.resolve("sync-128"), seconds);
        rawFsync(dir, seconds);
    }

    /** write(300 bytes) + fsync in a loop, through the same API the ledger writes with. */
    private static void rawFsync(Path dir, double seconds) throws Exception {
        Path file = dir.resolve("raw-fsync.bin");
        byte[] record = new byte[300];
        long n = 0;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long start = System.nanoTime();
            while (System.nanoTime() < end) {
                raf.write(record);
                raf.getFD().sync();
                n++;
            }
            System.out.printf("raw disk: %.0f write+fsync/s%n", n / ((System.nanoTime() - start) / 1e9));
        }
        Files.delete(file);
    }

    private static void appends(Path dir, int threads, double seconds, boolean sync) throws Exception {
        try (FileLedger ledger = FileLedger.open(dir, dir.resolve("log-key.pem"), "bench", sync)) {
            AtomicLong count = new AtomicLong();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            List<Thread> workers = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Thread worker = new Thread(() -> {
                    long i = 0;
                    try {
                        while (System.nanoTime() < end) {
                            ledger.append(Frames.event("b" + thread, 200 + (i++ % 50)));
                            count.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                worker.start();
                workers.add(worker);
            }
            for (Thread worker : workers) {
                worker.join();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            System.out.printf("appends, %3d appenders, fsync %-3s: %8.0f appends/s, %6.0f commits/s, %5.1f appends per"
                    + " commit (%d events, %.0f bytes each on disk)%n", threads, sync ? "on" : "off",
                    count.get() / elapsed, ledger.commits() / elapsed, (double) count.get() / ledger.commits(),
                    ledger.size(), (double) (Files.size(dir.resolve(FileLedger.EVENTS_FILE)) - 8) / ledger.size());
        }
    }

    private static void proofs(Path dir, double seconds) throws Exception {
        try (FileLedger ledger = FileLedger.open(dir, dir.resolve("log-key.pem"), "bench", true)) {
            long size = ledger.size();
            Checkpoint checkpoint = ledger.checkpoint();
            byte[] root = checkpoint.rootHash();
            Random random = new Random(1);
            int sample = 1000;
            long[] indexes = new long[sample];
            byte[][] leaves = new byte[sample][];
            for (int i = 0; i < sample; i++) {
                indexes[i] = (long) (random.nextDouble() * size);
                LedgerEntry entry = ledger.get(indexes[i]);
                leaves[i] = entry.leafHash();
            }
            List<InclusionProof> proofs = new ArrayList<>();
            long n = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long start = System.nanoTime();
            while (System.nanoTime() < end) {
                InclusionProof p = ledger.inclusionProof(indexes[(int) (n % sample)], size);
                if (proofs.size() < sample) {
                    proofs.add(p);
                }
                n++;
            }
            System.out.printf("inclusion proof generation (tree of %d): %.0f/s, %d hashes each%n", size,
                    n / ((System.nanoTime() - start) / 1e9), proofs.get(0).path().size());
            n = 0;
            end = System.nanoTime() + (long) (seconds * 1e9);
            start = System.nanoTime();
            while (System.nanoTime() < end) {
                int k = (int) (n % sample);
                MerkleTree.verifyInclusion(proofs.get(k), leaves[k], root);
                n++;
            }
            System.out.printf("inclusion proof verification: %.0f/s%n", n / ((System.nanoTime() - start) / 1e9));
            n = 0;
            end = System.nanoTime() + (long) (seconds * 1e9);
            start = System.nanoTime();
            while (System.nanoTime() < end) {
                ledger.consistencyProof(1 + (long) (random.nextDouble() * (size - 1)), size);
                n++;
            }
            System.out.printf("consistency proof generation: %.0f/s%n", n / ((System.nanoTime() - start) / 1e9));
            n = 0;
            end = System.nanoTime() + (long) (seconds * 1e9);
            start = System.nanoTime();
            while (System.nanoTime() < end) {
                ledger.rootHash(size - (n % 1000));
                n++;
            }
            System.out.printf("root hash of an earlier size: %.0f/s%n", n / ((System.nanoTime() - start) / 1e9));
            long t0 = System.nanoTime();
            ledger.close();
            try (FileLedger reopened = FileLedger.open(dir, dir.resolve("log-key.pem"), "bench", true)) {
                System.out.printf("reopen of %d events: %.0f ms%n", reopened.size(), (System.nanoTime() - t0) / 1e6);
            }
        }
    }
}
