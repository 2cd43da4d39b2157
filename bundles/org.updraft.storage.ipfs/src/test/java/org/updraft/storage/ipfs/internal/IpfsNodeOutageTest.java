package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.core.unixfs.SeededContent;

/** The node dies and comes back: requests fail clearly meanwhile, status says why, then all works again. */
class IpfsNodeOutageTest {

    @TempDir
    Path dir;

    @Test
    void aKilledNodeIsReportedAndServesAgainOnceBack() throws Exception {
        try (IpfsDaemon daemon = IpfsDaemon.start(dir)) {
            IpfsFirmwareStore store = new IpfsFirmwareStore(IpfsFirmwareStoreTest.rpc(daemon.api()), CidOptions.DEFAULT,
                    true);
            int size = 600_000;
            Cid cid = store.put(new SeededContent(1, size)).cid();

            daemon.kill();

            StoreException read = assertThrows(StoreException.class, () -> store.get(cid));
            assertTrue(read.getMessage().startsWith("ipfs files/stat: cannot connect to the IPFS node at "
                    + daemon.api()), read.getMessage());
            assertFalse(read.getMessage().contains("\n"), "one line");
            // unreachable is not absent: stat must not claim the object is gone
            assertThrows(StoreException.class, () -> store.stat(cid));
            StoreException put = assertThrows(StoreException.class, () -> store.put(new SeededContent(2, 1000)));
            assertTrue(put.getMessage().startsWith("ipfs add: cannot connect"), put.getMessage());
            StoreStatus down = store.status();
            assertFalse(down.available());
            assertTrue(down.detail().contains("cannot connect"), down.detail());
            assertFalse(store.lastReached());

            daemon.restart(); // over the repo.lock the killed daemon left behind

            StoreStatus up = store.status();
            assertTrue(up.available(), up.detail());
            assertTrue(store.lastReached());
            try (InputStream in = store.get(cid)) {
                assertArrayEquals(SeededContent.bytes(1, size), in.readAllBytes());
            }
        }
    }
}
