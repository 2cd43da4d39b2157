package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.transport.DeviceEndpoint;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/** The DTLS endpoint's settings: its key file, its port beside the plain one, and the plain one switched off. */
class DtlsEndpointTest {

    @TempDir
    Path dir;

    private LocalFirmwareStore store;
    private OneRolloutUpdates updates;
    private CoapTransport transport;

    @BeforeEach
    void start() throws Exception {
        store = TestServer.store(dir.resolve("store"));
        byte[] image = SeededContent.bytes(3, 1_000);
        updates = new OneRolloutUpdates(new PublishedRelease(image, store.put(new ByteArrayInputStream(image)).cid(),
                7));
    }

    @AfterEach
    void stop() {
        if (transport != null) {
            transport.close();
        }
        store.close();
    }

    private CoapTransport serve(Map<String, Object> settings) {
        Map<String, Object> values = new HashMap<>(Map.of("dtls_port", 0, "dtls_key_file",
                dir.resolve("keys/dtls-key.pem").toString()));
        values.putAll(settings);
        return new CoapTransport(TestServer.config(values), updates);
    }

    @Test
    void theKeyIsMadeAtFirstStartKeptForTheNextAndShownInTheStatus() throws Exception {
        transport = serve(Map.of());
        Path file = dir.resolve("keys/dtls-key.pem");
        assertTrue(Files.exists(file), "generated into a directory made for it");
        assertFalse(KeyFiles.openToOthers(file), "readable by its owner only");
        String did = transport.dtlsKey();
        assertEquals(KeyFiles.readPrivateKey(file, null).did(), did);
        assertTrue(did.startsWith("did:key:zDn"), "a P-256 key: " + did);
        assertTrue(transport.status().contains("listening on dtls/127.0.0.1:" + transport.dtlsAddress().getPort()
                + " (key " + did + ")"), transport.status());

        transport.close();
        transport = serve(Map.of());
        assertEquals(did, transport.dtlsKey(), "the same key after a restart");
    }

    @Test
    void withPlainCoapOffOnlyTheDtlsPortListens() {
        transport = serve(Map.of("plain_enabled", false));
        assertTrue(transport.isRunning());
        assertTrue(transport.dtlsAddress().getPort() > 0);
        IllegalStateException off = assertThrows(IllegalStateException.class, transport::address);
        assertTrue(off.getMessage().contains("plain.enabled=false"), off.getMessage());
        assertFalse(transport.status().contains("udp/"), transport.status());
        // what the demo's fleet and provisioning tools read: where devices go, and the key they pin
        assertEquals(List.of(new DeviceEndpoint("coaps", transport.dtlsAddress(), transport.dtlsKey())),
                transport.deviceEndpoints());
    }

    @Test
    void theDeviceEndpointsNameTheSecureOneFirstAndOnlyThoseListening() throws Exception {
        transport = serve(Map.of("plain_enabled", true));
        List<DeviceEndpoint> both = transport.deviceEndpoints();
        assertEquals(List.of("coaps", "coap"), both.stream().map(DeviceEndpoint::scheme).toList());
        assertTrue(both.get(0).secure() && !both.get(1).secure(), both.toString());
        assertEquals(transport.address(), both.get(1).address());
        transport.close();
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            transport = serve(Map.of("plain_enabled", true, "dtls_port", taken.getLocalPort()));
            assertEquals(List.of(new DeviceEndpoint("coap", transport.address(), null)), transport.deviceEndpoints());
        }
    }

    @Test
    void aTakenDtlsPortIsNamedInTheStatusAndThePlainPortStillServes() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            transport = serve(Map.of("plain_enabled", true, "dtls_port", taken.getLocalPort()));
            assertTrue(transport.isRunning());
            assertTrue(transport.address().getPort() > 0);
            assertTrue(transport.status().contains("failed to bind dtls/127.0.0.1:" + taken.getLocalPort()),
                    transport.status());
            assertThrows(IllegalStateException.class, transport::dtlsAddress);
        }
    }

    @Test
    void settingsThatServeNothingOrAnUnusableKeyFileAreRefused() throws Exception {
        IllegalArgumentException nothing = assertThrows(IllegalArgumentException.class,
                () -> serve(Map.of("plain_enabled", false, "dtls_port", -1)));
        assertTrue(nothing.getMessage().contains("serve nothing"), nothing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> serve(Map.of("dtls_port", 70_000)));
        Path notAKey = dir.resolve("not-a-key.pem");
        Files.writeString(notAKey, "hello");
        IllegalStateException unusable = assertThrows(IllegalStateException.class,
                () -> serve(Map.of("dtls_key_file", notAKey.toString())));
        assertTrue(unusable.getMessage().contains(notAKey.toString()), unusable.getMessage());
    }
}
