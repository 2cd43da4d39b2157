package org.updraft.benchmarks;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.log.MerkleTree;
import org.updraft.ledger.local.internal.FileLedger;

/**
 * Row 6: durable appends to the local ledger (FileLedger, fsync on, group commit) from many concurrent appenders,
 * against write(300 bytes)+fsync in a loop on the same directory; then inclusion proofs made and checked per second
 * against raw SHA-256 of the same number of tree nodes.
 */
final class LedgerRow {

    static final int APPENDERS = 64;

    private LedgerRow() {
    }

    static List<Row> run(Path work, boolean quick) throws Exception {
        double seconds = quick ? 0.3 : 3;
        Path dir = Files.createTempDirectory(work, "ledger");
        double rawBefore = rawFsync(dir, seconds);
        Path ledgerDir = dir.resolve("ledger");
        double appendsPerSecond;
        double appendsPerCommit;
        try (FileLedger ledger = FileLedger.open(ledgerDir, ledgerDir.resolve("log-key.pem"), "bench", true)) {
            long commitsBefore = ledger.commits();
            Loops.Done appended = Loops.run("ledger-appender", APPENDERS, seconds, t -> {
                String actor = "did:key:zBenchAppender" + t;
                long[] n = {0};
                return () -> ledger.append(event(actor, n[0]++));
            });
            appendsPerSecond = appended.perSecond();
            appendsPerCommit = (double) appended.operations() / (ledger.commits() - commitsBefore);
        }
        double rawAfter = rawFsync(dir, seconds);
        // the disk's rate around the ledger run: the mean of before and after, both recorded in the bound
        double raw = (rawBefore + rawAfter) / 2;
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("6", "ledger durable appends, " + APPENDERS + " appenders, group commit", appendsPerSecond,
                "appends/s", "write(300 B)+fsync loop, same directory", raw, "fsyncs/s", 20_000, "≥ 20,000 appends/s",
                true, String.format("fsync rate of the disk (%.0f before, %.0f after); %.1f appends per fsync",
                        rawBefore, rawAfter, appendsPerCommit)));
        rows.addAll(proofs(ledgerDir, quick));
        return rows;
    }

    /** Ledger events about the size the platform writes (a device report). */
    private static LedgerEvent event(String actor, long n) {
        byte[] payload = new byte[180 + (int) (n % 40)];
        new Random(n).nextBytes(payload);
        return new LedgerEvent("device.report", Instant.ofEpochMilli(1_700_000_000_000L + n), actor, payload, null);
    }

    private static double rawFsync(Path dir, double seconds) throws Exception {
        Path file = dir.resolve("raw-fsync.bin");
        byte[] record = new byte[300];
        double rate;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            rate = Rates.rate(() -> {
                raf.write(record);
                raf.getFD().sync();
                return 1;
            }, seconds);
        }
        Files.delete(file);
        return rate;
    }

    private static List<Row> proofs(Path dir, boolean quick) throws Exception {
        double seconds = quick ? 0.2 : 2;
        int rounds = quick ? 1 : 5;
        try (FileLedger ledger = FileLedger.open(dir, dir.resolve("log-key.pem"), "bench", true)) {
            long size = ledger.size();
            Checkpoint checkpoint = ledger.checkpoint();
            byte[] root = checkpoint.rootHash();
            Random random = new Random(1);
            int sample = 1000;
            long[] indexes = new long[sample];
            byte[][] leaves = new byte[sample][];
            InclusionProof[] proofs = new InclusionProof[sample];
            for (int i = 0; i < sample; i++) {
                indexes[i] = (long) (random.nextDouble() * size);
                leaves[i] = ledger.get(indexes[i]).leafHash();
                proofs[i] = ledger.inclusionProof(indexes[i], size);
                MerkleTree.verifyInclusion(proofs[i], leaves[i], root);
            }
            int pathLength = proofs[0].path().size();
            // The machine's limit for one proof: SHA-256 of as many 65-byte interior nodes as the path has.
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] node = new byte[65];
            Rates.Operation rawProof = () -> {
                for (int h = 0; h < pathLength; h++) {
                    sha256.update(node);
                    byte[] d = sha256.digest();
                    System.arraycopy(d, 0, node, 1, 32);
                }
                return 1;
            };
            int[] k = {0};
            double[] generation = Rates.interleaved(() -> {
                int i = k[0]++ % sample;
                ledger.inclusionProof(indexes[i], size);
                return 1;
            }, rawProof, rounds, seconds);
            double[] verification = Rates.interleaved(() -> {
                int i = k[0]++ % sample;
                MerkleTree.verifyInclusion(proofs[i], leaves[i], root);
                return 1;
            }, rawProof, rounds, seconds);
            String reference = "SHA-256 of " + pathLength + " tree nodes (one proof's hashing)";
            return List.of(
                    new Row("6b", "inclusion proof generation, tree of " + size, generation[0], "proofs/s", reference,
                            generation[1], "paths/s", Double.NaN, "—", false,
                            "reads of stored subtree hashes (events file / cache), not hashing"),
                    new Row("6c", "inclusion proof verification", verification[0], "proofs/s", reference,
                            verification[1], "paths/s", Double.NaN, "—", false,
                            "SHA-256 of the path, plus allocation per node"));
        }
    }
}
