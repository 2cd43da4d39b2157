package org.updraft.platform.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.release.progress.PublishProgress;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.testing.Configs;

class ServingStoreTest {

    private final MemoryStore local = new MemoryStore("local");
    private final MemoryStore ipfs = new MemoryStore("ipfs");
    private ServingStore serving;

    @AfterEach
    void stop() {
        serving.deactivate();
    }

    @BeforeEach
    void start() {
        serving = new ServingStore();
        serving.bindBackend(local, local.properties(1));
        serving.activate(config("ipfs", "local"), null);
    }

    @Test
    void theStatusNamesTheChosenStoreWhileTheFallbackStandsIn() {
        StoreStatus s = serving.status();
        assertEquals("ipfs", s.kind(), "the choice to fix, not the fallback");
        assertFalse(s.available());
        assertTrue(s.detail().startsWith("firmware store local (fallback) serves the objects it holds; preferred "
                + "store ipfs is not running (install feature updraft-storage-ipfs)"), s.detail());
        serving.bindBackend(ipfs, ipfs.properties(2));
        assertEquals("ipfs", serving.status().kind());
        assertTrue(serving.status().available());
    }

    @Test
    void publishesToThePreferredStoreOnlyAndFailsClosedWhenItIsNotRunning() throws Exception {
        StoreException refused = assertThrows(StoreException.class, () -> serving.put(content(1000, 1)));
        assertTrue(refused.getMessage().contains("'ipfs' is not running: install feature updraft-storage-ipfs"),
                refused.getMessage());
        assertTrue(local.objects.isEmpty(), "nothing was published to the fallback");

        serving.bindBackend(ipfs, ipfs.properties(2));
        Cid cid = serving.put(content(1000, 1)).cid();
        assertTrue(ipfs.objects.containsKey(cid));
        assertFalse(local.objects.containsKey(cid));
    }

    @Test
    void readsTheFallbackForWhatOnlyItHolds() throws Exception {
        Cid old = local.put(content(5000, 2)).cid();
        serving.bindBackend(ipfs, ipfs.properties(2));
        try (InputStream in = serving.get(old, 100, 50)) {
            assertArrayEquals(local.get(old, 100, 50).readAllBytes(), in.readAllBytes());
        }
        assertTrue(serving.stat(old).isPresent());
        assertTrue(serving.servable(old));
    }

    @Test
    void anObjectOnlyADownOrMissingStoreHoldsIsUnavailableNotMissing() throws Exception {
        serving.bindBackend(ipfs, ipfs.properties(2));
        Cid onIpfs = serving.put(content(3000, 3)).cid();

        ipfs.unreachable = true;
        StoreException down = assertThrows(StoreException.class, () -> serving.get(onIpfs, 0, -1));
        assertNotEquals(ObjectNotFoundException.class, down.getClass(), "devices must retry, not give up");
        assertTrue(down.getMessage().contains("preferred store ipfs is unavailable"), down.getMessage());
        assertThrows(StoreException.class, () -> serving.stat(onIpfs));
        assertFalse(serving.servable(onIpfs));

        ipfs.unreachable = false;
        serving.unbindBackend(ipfs, ipfs.properties(2));
        StoreException gone = assertThrows(StoreException.class, () -> serving.get(onIpfs, 0, -1));
        assertNotEquals(ObjectNotFoundException.class, gone.getClass());
        assertTrue(gone.getMessage().contains("preferred store ipfs is not running and the fallback local does "
                + "not hold it"), gone.getMessage());

        serving.bindBackend(ipfs, ipfs.properties(3));
        Cid nowhere = Cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
        assertInstanceOf(ObjectNotFoundException.class, assertThrows(StoreException.class,
                () -> serving.get(nowhere, 0, -1)), "both stores answer and neither holds it");
        assertTrue(serving.stat(nowhere).isEmpty());
    }

    @Test
    void aConfigurationChangeSwitchesThePreferredStoreInPlace() throws Exception {
        serving.bindBackend(ipfs, ipfs.properties(2));
        assertEquals("ipfs", serving.status().kind());
        serving.modified(config("local", ""));
        assertEquals("local", serving.status().kind());
        Cid cid = serving.put(content(2000, 4)).cid();
        assertTrue(local.objects.containsKey(cid));
        assertFalse(ipfs.objects.containsKey(cid));

        ipfs.objects.put(Cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"), "hello\n".getBytes());
        assertThrows(ObjectNotFoundException.class, () -> serving.get(
                Cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"), 0, -1), "no fallback: ipfs is not asked");
    }

    @Test
    void theUnservableCheckRunsOnItsOwnNamedThreadWhichStopsAtDeactivation() throws Exception {
        CountDownLatch checking = new CountDownLatch(1);
        AtomicReference<Thread> checkedOn = new AtomicReference<>();
        ReleaseService releases = new ReleaseService() {
            @Override
            public Release publish(byte[] manifest, Path firmware, String deviceClass, PublishProgress progress,
                    String actor) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<Release> list() {
                checkedOn.set(Thread.currentThread());
                checking.countDown();
                try {
                    Thread.sleep(60_000); // a remote store slow to answer
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of();
            }

            @Override
            public Optional<Release> find(String id) {
                return Optional.empty();
            }
        };
        serving.releases = use -> use.accept(releases);
        serving.bindBackend(ipfs, ipfs.properties(2)); // the choice changes: which releases can be served now?
        assertTrue(checking.await(10, TimeUnit.SECONDS));
        Thread checker = checkedOn.get();
        assertEquals("updraft-serving-check-1", checker.getName());

        long start = System.nanoTime();
        serving.deactivate();
        // the check was interrupted after the grace: deactivation does not wait a minute for a slow store
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        checker.join(1000); // the thread object lingers a moment after its executor terminated
        assertFalse(checker.isAlive(), "the check's thread outlived deactivation");
    }

    @Test
    void aBadChoiceIsRefusedWithTheKeyAndTheValue() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> new ServingStore().activate(config(" ", "local"), null));
        assertTrue(empty.getMessage().startsWith("preferred in org.updraft.store is empty"), empty.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new ServingStore().activate(config("local", "IPFS node"), null));
        assertEquals("fallback in org.updraft.store is 'IPFS node', not a store.kind such as local or ipfs",
                bad.getMessage());
    }

    private static InputStream content(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return new ByteArrayInputStream(bytes);
    }

    private static ServingStore.Config config(String preferred, String fallback) {
        return Configs.of(ServingStore.Config.class, Map.of("preferred", preferred, "fallback", fallback));
    }
}
