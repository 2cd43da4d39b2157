package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoredObject;

/**
 * Remote pinning against our own Pinning Service API server (test sources, {@link RemotePinningServer}) that pins
 * on a second real js-ipfs node: the store's node holds the object, the provider's node fetches it from there.
 */
class RemotePinsTest {

    private static final String TOKEN = "test-token-5f1c9a";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;
    private static IpfsDaemon ours;
    private static IpfsDaemon provider;
    private static KuboRpc providerRpc;

    @BeforeAll
    static void startNodes() throws Exception {
        ours = IpfsDaemon.startOnline(dir, "ours");
        provider = IpfsDaemon.startOnline(dir, "provider");
        providerRpc = rpc(provider.api());
    }

    @AfterAll
    static void stopNodes() throws Exception {
        if (ours != null) {
            ours.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    static KuboRpc rpc(URI api) {
        return new KuboRpc(api, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(120),
                Duration.ofSeconds(2), 0, Duration.ofMillis(100));
    }

    private static RemotePins remotePins(URI endpoint, String token) {
        return new RemotePins(new PinningService(endpoint, token, Duration.ofSeconds(10)),
                rpc(ours.api())::ownAddresses, Duration.ofMillis(200), Duration.ofSeconds(2));
    }

    @Test
    void anObjectPutIsPinnedAtTheProviderAndUnpinnedThere() throws Exception {
        try (RemotePinningServer service = new RemotePinningServer(TOKEN, provider.api(), provider.swarmAddress(), 0);
                RemotePins remote = remotePins(service.endpoint(), TOKEN)) {
            IpfsFirmwareStore store = new IpfsFirmwareStore(rpc(ours.api()), CidOptions.DEFAULT, true, remote);
            byte[] image = random(600_000, 1); // three chunks: the provider fetches a small tree
            StoredObject stored = store.put(new ByteArrayInputStream(image));
            Cid cid = stored.cid();

            waitFor("the provider pins " + cid, () -> "pinned".equals(store.remotePinStatus(cid)));
            assertTrue(providerRpc.isPinned(cid), "the provider's node pins the object");
            try (InputStream in = providerRpc.cat(cid, 0, -1)) {
                assertArrayEquals(image, in.readAllBytes(), "the provider's node holds the same bytes");
            }
            assertEquals(List.of("pinned"), service.statuses(cid.toString()));
            String detail = store.status().detail();
            assertTrue(detail.contains("remote pins at " + service.endpoint() + "/: 1 pinned"), detail);

            store.unpin(cid);
            waitFor("the provider drops " + cid, () -> service.statuses(cid.toString()).isEmpty());
            waitFor("the provider's node unpins " + cid, () -> {
                try {
                    return !providerRpc.isPinned(cid);
                } catch (StoreException e) {
                    return false;
                }
            });
            assertFalse(store.status().detail().contains("being removed"), store.status().detail());
        }
    }

    @Test
    void aWrongTokenIsReportedInTheStatusWithoutTheToken() throws Exception {
        String wrong = "not-the-token-7d2e";
        try (RemotePinningServer service = new RemotePinningServer(TOKEN, provider.api(), provider.swarmAddress(), 0);
                RemotePins remote = remotePins(service.endpoint(), wrong)) {
            IpfsFirmwareStore store = new IpfsFirmwareStore(rpc(ours.api()), CidOptions.DEFAULT, true, remote);
            Cid cid = store.put(new ByteArrayInputStream(random(1000, 2))).cid();
            assertTrue(store.stat(cid).orElseThrow().pinned(), "the put succeeds on our node all the same");
            waitFor("the refusal shows in the status", () -> store.status().detail().contains("HTTP 401"));
            String detail = store.status().detail();
            assertTrue(detail.contains("UNAUTHORIZED") && detail.contains("check the access token"), detail);
            assertFalse(detail.contains(wrong) || detail.contains(TOKEN), "the token is never shown: " + detail);
            assertEquals("sending", store.remotePinStatus(cid));
            assertTrue(service.unauthorized() > 0);
        }
    }

    @Test
    void aServiceThatIsDownIsRetriedUntilItPins() throws Exception {
        int port = freePort();
        URI endpoint = URI.create("http://127.0.0.1:" + port + "/psa");
        try (RemotePins remote = remotePins(endpoint, TOKEN)) {
            IpfsFirmwareStore store = new IpfsFirmwareStore(rpc(ours.api()), CidOptions.DEFAULT, true, remote);
            long start = System.nanoTime();
            Cid cid = store.put(new ByteArrayInputStream(random(5000, 3))).cid();
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(),
                    "a put does not wait for the pinning service");
            waitFor("the failure shows in the status", () -> store.status().detail().contains("cannot reach"));
            assertEquals("sending", store.remotePinStatus(cid));
            try (RemotePinningServer service = new RemotePinningServer(TOKEN, provider.api(),
                    provider.swarmAddress(), port)) {
                waitFor("the provider pins " + cid + " once it is up", () -> "pinned".equals(
                        store.remotePinStatus(cid)));
                assertEquals(List.of("pinned"), service.statuses(cid.toString()));
                assertTrue(providerRpc.isPinned(cid));
            }
        }
    }

    @Test
    void theTokenFileIsCheckedAndItsContentNeverShown() throws IOException {
        Path token = dir.resolve("token");
        Files.writeString(token, "secret-abc\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        assertEquals("secret-abc", PinningTokens.read(token.toString()));
        assertFalse(PinningTokens.readableByOthers(token));
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(PinningTokens.readableByOthers(token));

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> PinningTokens.read(dir.resolve("absent").toString()));
        assertTrue(missing.getMessage().startsWith("cannot read the access token file " + dir.resolve("absent")),
                missing.getMessage());
        Files.writeString(token, "two words\n");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> PinningTokens.read(token.toString()));
        assertFalse(bad.getMessage().contains("two words"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PinningTokens.read(" "));
    }

    private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        fail("timed out waiting until " + what);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
