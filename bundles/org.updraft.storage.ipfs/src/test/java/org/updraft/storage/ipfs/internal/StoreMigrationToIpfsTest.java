package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.shell.internal.migration.MigratedObject.Outcome;
import org.updraft.shell.internal.migration.MigrationReport;
import org.updraft.shell.internal.migration.StoreMigration;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/** store-migrate from the embedded store to a real js-ipfs node, with the node killed half-way. */
class StoreMigrationToIpfsTest {

    @TempDir
    Path dir;

    @Test
    void everyObjectReachesTheNodeUnderItsCidAndARunAfterTheNodeDiedFinishes() throws Exception {
        LocalFirmwareStore local = IpfsFirmwareStoreTest.localStore(dir.resolve("local"));
        Map<Cid, byte[]> objects = new LinkedHashMap<>();
        int chunk = CidOptions.DEFAULT_CHUNK_SIZE;
        Object[][] recipes = {{6, CidOptions.DEFAULT}, {3 * chunk + 5, CidOptions.DEFAULT}, {100_000, CidOptions.V1},
                {2 * chunk + 9, CidOptions.V1}, {2 * chunk + 1, new CidOptions(1, false, chunk)},
                {chunk + 3, CidOptions.DEFAULT}};
        for (int i = 0; i < recipes.length; i++) {
            byte[] bytes = SeededContent.bytes(i, (Integer) recipes[i][0]);
            objects.put(local.put(new ByteArrayInputStream(bytes), (CidOptions) recipes[i][1]).cid(), bytes);
        }
        try (IpfsDaemon daemon = IpfsDaemon.start(dir)) {
            IpfsFirmwareStore ipfs = new IpfsFirmwareStore(IpfsFirmwareStoreTest.rpc(daemon.api()), CidOptions.DEFAULT,
                    true);
            boolean[] killed = {false};
            MigrationReport first = new StoreMigration(local, "local", ipfs, "ipfs").run(false, s -> {
                if (!killed[0] && s.objectsDone() >= 2 && s.current() != null) {
                    killed[0] = true;
                    try {
                        daemon.kill();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            assertNotNull(first.stoppedBecause(), first.summary());
            assertTrue(first.stoppedBecause().startsWith("the target store ipfs became unavailable"),
                    first.stoppedBecause());
            assertEquals(2, first.count(Outcome.COPIED), first.summary());

            daemon.restart();
            MigrationReport second = new StoreMigration(local, "local", ipfs, "ipfs").run(false, null);
            assertTrue(second.succeeded(), second.problems().toString());
            assertEquals(objects.size(), second.count(Outcome.COPIED) + second.count(Outcome.ALREADY_THERE));
            // the two copied before the kill are skipped (one may be put again, see the third run)
            assertTrue(second.count(Outcome.ALREADY_THERE) >= 1, second.summary());
            for (Map.Entry<Cid, byte[]> e : objects.entrySet()) {
                assertTrue(ipfs.stat(e.getKey()).orElseThrow().pinned(), e.getKey() + " pinned on the node");
                try (InputStream in = ipfs.get(e.getKey())) {
                    assertArrayEquals(e.getValue(), in.readAllBytes(), e.getKey() + " byte for byte from the node");
                }
            }
            // js-ipfs answers a stat of an object it lacks only after the lookup timeout, and a loaded machine can
            // exceed it for an object it holds: such an object is put again, under the same CID, harmlessly
            MigrationReport third = new StoreMigration(local, "local", ipfs, "ipfs").run(false, null);
            assertTrue(third.succeeded(), third.problems().toString());
            assertTrue(third.count(Outcome.ALREADY_THERE) >= objects.size() - 1, third.summary());
        } finally {
            local.close();
        }
    }
}
