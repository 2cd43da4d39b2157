package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.store.StoreStatus;
import org.updraft.testing.Configs;

/** The IPFS store's configuration as Declarative Services hands it over: remote pinning settings, IPNS lifetime. */
class StoreConfigTest {

    @TempDir
    Path dir;

    @Test
    void aPinningServiceWithoutItsTokenIsOffAndTheStatusSaysWhy() throws Exception {
        IpfsFirmwareStore store = new IpfsFirmwareStore(config(Map.of("api_url", deadNode(),
                "pinning_service_endpoint", "https://pins.example/psa")));
        try {
            StoreStatus status = store.status();
            assertFalse(status.available());
            assertTrue(status.detail().endsWith("; remote pinning at https://pins.example/psa is off: "
                    + "pinning.service.token.file is not set: put the access token in a file readable by the Karaf "
                    + "user only and name it there"), status.detail());
        } finally {
            store.close();
        }
    }

    @Test
    void aPinningServiceWithItsTokenIsShownWithoutTheToken() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "s3cr3t-token\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        IpfsFirmwareStore store = new IpfsFirmwareStore(config(Map.of("api_url", deadNode(),
                "pinning_service_endpoint", "https://pins.example/psa", "pinning_service_token_file",
                token.toString())));
        try {
            String detail = store.status().detail();
            assertTrue(detail.endsWith("; remote pins at https://pins.example/psa/: 0 pinned, 0 pinning, 0 queued, "
                    + "0 sending, 0 failed"), detail);
            assertFalse(detail.contains("s3cr3t"), detail);
        } finally {
            store.close();
        }
    }

    @Test
    void aBadIpnsLifetimeIsRefusedInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IpnsReleaseChannels(config(Map.of("ipns_lifetime", "a day")), null, null, null, null));
        assertEquals("ipns.lifetime 'a day' must be a duration such as 24h or 90m", e.getMessage());
    }

    /** The typed configuration with its defaults, as DS builds it, but no retries and for {@code overrides}. */
    static IpfsStoreConfig config(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>();
        values.put("retries", 0);
        values.putAll(overrides);
        return Configs.of(IpfsStoreConfig.class, values);
    }

    /** An API address where nothing listens. */
    private static String deadNode() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }
}
