package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.StoreException;

/**
 * What the RPC client's key and name commands do on js-ipfs 0.66.1, online and started {@code --offline}: keys,
 * IPNS publish and resolve, and the node's own addresses (the origins a pinning service is given).
 */
class JsIpfsNamesTest {

    @TempDir
    Path dir;

    @Test
    void keysAndNamesOnlineAndWhatAnOfflineNodeStillDoes() throws Exception {
        try (IpfsDaemon node = IpfsDaemon.startOnline(dir, "names")) {
            KuboRpc rpc = RemotePinsTest.rpc(node.api());
            KuboRpc.Key key = rpc.keyGen("updraft+acme+cam+stable");
            assertEquals("updraft+acme+cam+stable", key.name());
            Map<String, KuboRpc.Key> keys = rpc.keyList();
            assertEquals(key, keys.get(key.name()));
            assertEquals(2, keys.size(), "self and ours, once each (js-ipfs lists every key twice): " + keys);
            StoreException twice = assertThrows(StoreException.class, () -> rpc.keyGen("updraft+acme+cam+stable"));
            assertTrue(twice.getMessage().startsWith("ipfs key/gen: "), twice.getMessage());

            Cid first = new IpfsFirmwareStore(rpc, org.updraft.api.store.CidOptions.DEFAULT, true)
                    .put(new ByteArrayInputStream("first".getBytes())).cid();
            Cid second = new IpfsFirmwareStore(rpc, org.updraft.api.store.CidOptions.DEFAULT, true)
                    .put(new ByteArrayInputStream("second".getBytes())).cid();
            KuboRpc.Published published = rpc.namePublish(key.name(), "/ipfs/" + first, "1h", true);
            assertEquals(key.id(), published.name(), "the IPNS name is the key's id");
            assertEquals("/ipfs/" + first, rpc.nameResolve(key.id()));
            rpc.namePublish(key.name(), "/ipfs/" + second, "1h", true);
            assertEquals("/ipfs/" + second, rpc.nameResolve("/ipns/" + key.id()), "a move is seen at once");

            List<String> origins = rpc.ownAddresses();
            assertFalse(origins.isEmpty());
            assertTrue(origins.stream().allMatch(a -> a.startsWith("/ip4/127.0.0.1/tcp/") && a.contains("/p2p/")),
                    origins.toString());

            // started --offline, js-ipfs still publishes (to its own datastore) and resolves, but refuses nocache
            node.restartOffline();
            KuboRpc offline = RemotePinsTest.rpc(node.api());
            assertEquals("/ipfs/" + second, offline.nameResolve(key.id()), "resolved without nocache");
            offline.namePublish(key.name(), "/ipfs/" + first, "1h", true);
            assertEquals("/ipfs/" + first, offline.nameResolve(key.id()));
            assertEquals(key, rpc.keyList().get(key.name()), "keys are kept in the repository");
        }
    }
}
