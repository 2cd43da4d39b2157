package org.updraft.storage.local.internal;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.core.unixfs.UnixFsImporter;

/**
 * A measurement, not a test: MB/s of raw JDK SHA-256, of CID computation over the same bytes, and of
 * put and get in the local store. Prints the median of several rounds.
 *
 * <pre>
 * ./mvnw -B -q -o test-compile -pl bundles/org.updraft.storage.local -am
 * java -cp bundles/org.updraft.api/target/classes:bundles/org.updraft.core/target/classes:\
 *   bundles/org.updraft.storage.local/target/classes:bundles/org.updraft.storage.local/target/test-classes:\
 *   $HOME/.m2/repository/org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar \
 *   org.updraft.storage.local.internal.StoreThroughput [MiB] [store directory]
 * </pre>
 */
public final class StoreThroughput {

    private StoreThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("store-throughput");
        byte[] data = new byte[mib * 1024 * 1024];
        new Random(1).nextBytes(data);
        int rounds = 7;
        double[] sha = new double[rounds];
        double[] v0 = new double[rounds];
        double[] v1 = new double[rounds];
        double[] putSync = new double[rounds];
        double[] putNoSync = new double[rounds];
        double[] get = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t = System.nanoTime();
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int off = 0; off < data.length; off += 256 * 1024) {
                md.update(data, off, Math.min(256 * 1024, data.length - off));
            }
            md.digest();
            sha[r] = rate(data.length, t);

            t = System.nanoTime();
            UnixFsImporter.cid(new ByteArrayInputStream(data), CidOptions.DEFAULT);
            v0[r] = rate(data.length, t);

            t = System.nanoTime();
            UnixFsImporter.cid(new ByteArrayInputStream(data), CidOptions.V1);
            v1[r] = rate(data.length, t);

            for (boolean fsync : new boolean[] {true, false}) {
                Path storeDir = dir.resolve("round-" + r + "-" + fsync);
                LocalFirmwareStore store = new LocalFirmwareStore(storeDir, fsync);
                try {
                    data[0] ^= 1; // new bytes each time, so no block is already stored
                    t = System.nanoTime();
                    Cid cid = store.put(new ByteArrayInputStream(data)).cid();
                    (fsync ? putSync : putNoSync)[r] = rate(data.length, t);
                    if (fsync) {
                        t = System.nanoTime();
                        byte[] buffer = new byte[64 * 1024];
                        try (InputStream in = store.get(cid)) {
                            while (in.read(buffer) >= 0) {
                                // drain
                            }
                        }
                        get[r] = rate(data.length, t);
                    }
                } finally {
                    store.close();
                    BlockFiles.deleteTree(storeDir);
                }
            }
            System.out.printf("round %d: sha256 %.0f, cid v0 %.0f, cid v1 raw %.0f, put fsync %.0f, put no fsync %.0f,"
                    + " get %.0f MB/s%n", r, sha[r], v0[r], v1[r], putSync[r], putNoSync[r], get[r]);
        }
        double shaMedian = median(sha);
        System.out.printf("median of %d rounds over %d MiB: sha256 %.0f MB/s; cid v0 %.0f MB/s (%.0f%%); cid v1 raw "
                + "%.0f MB/s (%.0f%%); put with fsync %.0f MB/s; put without fsync %.0f MB/s; get %.0f MB/s%n",
                rounds, mib, shaMedian, median(v0), 100 * median(v0) / shaMedian, median(v1),
                100 * median(v1) / shaMedian, median(putSync), median(putNoSync), median(get));
    }

    private static double rate(long bytes, long startNanos) {
        return bytes / 1e6 / ((System.nanoTime() - startNanos) / 1e9);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
