package org.updraft.storage.ipfs.internal;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * A measurement, not a test: MB/s of put and whole-object get through a js-ipfs node against the local store
 * (fsync off), same bytes, median of several rounds. Run from the module directory (it starts its own node):
 *
 * <pre>
 * ./mvnw -B -q -o test-compile -pl bundles/org.updraft.storage.ipfs -am
 * cd bundles/org.updraft.storage.ipfs && java -cp target/classes:target/test-classes:\
 *   ../org.updraft.api/target/classes:../org.updraft.core/target/classes:../org.updraft.core/target/test-classes:\
 *   ../org.updraft.storage.local/target/classes:$HOME/.m2/repository/org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar:\
 *   $HOME/.m2/repository/org/junit/jupiter/junit-jupiter-api/5.11.4/junit-jupiter-api-5.11.4.jar:\
 *   $HOME/.m2/repository/org/opentest4j/opentest4j/1.3.0/opentest4j-1.3.0.jar \
 *   org.updraft.storage.ipfs.internal.IpfsThroughput [MiB]
 * </pre>
 */
public final class IpfsThroughput {

    private IpfsThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        Path dir = Files.createTempDirectory("ipfs-throughput");
        byte[] data = new byte[mib * 1024 * 1024];
        new Random(1).nextBytes(data);
        int rounds = 5;
        double[][] rates = new double[4][rounds];
        try (IpfsDaemon daemon = IpfsDaemon.start(dir)) {
            IpfsFirmwareStore ipfs = new IpfsFirmwareStore(IpfsFirmwareStoreTest.rpc(daemon.api()), CidOptions.DEFAULT,
                    true);
            LocalFirmwareStore local = IpfsFirmwareStoreTest.localStore(dir.resolve("local"));
            for (int r = 0; r < rounds; r++) {
                data[0] = (byte) r; // new content each round, so no store can answer from what it already holds
                rates[0][r] = put(ipfs, data);
                rates[1][r] = put(local, data);
                rates[2][r] = get(ipfs, data);
                rates[3][r] = get(local, data);
            }
            local.close();
        }
        String[] names = {"ipfs put", "local put", "ipfs get", "local get"};
        for (int i = 0; i < names.length; i++) {
            Arrays.sort(rates[i]);
            System.out.printf("%-10s %7.1f MB/s (median of %d, %d MiB, CIDv0)%n", names[i], rates[i][rounds / 2],
                    rounds, mib);
        }
    }

    private static double put(FirmwareStore store, byte[] data) throws Exception {
        long t0 = System.nanoTime();
        store.put(new ByteArrayInputStream(data));
        return data.length / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    private static double get(FirmwareStore store, byte[] data) throws Exception {
        Cid cid = store.put(new ByteArrayInputStream(data)).cid();
        long t0 = System.nanoTime();
        try (InputStream in = store.get(cid)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return data.length / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }
}
