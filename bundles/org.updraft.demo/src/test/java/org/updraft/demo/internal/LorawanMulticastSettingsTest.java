package org.updraft.demo.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code updraft:demo --transport lorawan --multicast} demands of the transport's configuration before it records
 * anything, and how it refuses: it changes none of the settings, names the ones to make, never shows the token.
 */
class LorawanMulticastSettingsTest {

    private static final String TOKEN = "demo-token-5e2c";

    @TempDir
    Path dir;

    @Test
    void multicastOffIsRefusedNamingEverySetting() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("multicast.enabled", "false");
        String why = refused(p, true);
        for (String setting : new String[] {"multicast.enabled = true", "api.uri", "loopback", "api.token.file",
                "multicast.keys.file", "multicast.address"}) {
            assertTrue(why.contains(setting), setting + " in: " + why);
        }
        // no configuration at all: the defaults, multicast off
        assertTrue(refused(new Hashtable<>(), true).contains("multicast.enabled = true"));
    }

    @Test
    void aUnicastRunIsRefusedWhileMulticastIsOnAndRunsWhileItIsOff() throws Exception {
        assertTrue(refused(good(), false).contains("--multicast"));
        Hashtable<String, Object> off = good();
        off.put("multicast.enabled", false);
        assertNull(LorawanSettings.multicast(off, false));
    }

    @Test
    void aGoodConfigurationGivesWhereToServeAndWhatToWrite() throws Exception {
        Hashtable<String, Object> p = good();
        LorawanSettings.Multicast mc = LorawanSettings.multicast(p, true);
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port(p)), mc.apiAddress());
        assertEquals(dir.resolve("mc-root-keys"), mc.keysFile());
        assertEquals("0a0b0c0d", mc.address());
        assertEquals(TOKEN, mc.token());
        assertFalse(mc.toString().contains(TOKEN), mc.toString());
        // the demo's own file from an earlier run may be replaced
        DemoMcRootKeys.write(mc.keysFile(), java.util.Map.of("70b3d50000000001", new byte[16]));
        LorawanSettings.multicast(p, true);
        // localhost is a loopback name too, and a trailing slash is no path
        p.put("api.uri", "http://localhost:" + port(p) + "/");
        assertTrue(LorawanSettings.multicast(p, true).apiAddress().getAddress().isLoopbackAddress());
    }

    @Test
    void aClockTooFastForTheClassCWindowIsRefused() throws Exception {
        Hashtable<String, Object> p = good();
        p.put("clock.speedup", "500");
        String why = refused(p, true);
        assertTrue(why.contains("clock.speedup") && why.contains("Class C window"), why);
        p.put("clock.speedup", 100.0);
        LorawanSettings.multicast(p, true);
    }

    @Test
    void anApiUriTheDemoCannotServeIsRefused() throws Exception {
        Hashtable<String, Object> p = good();
        p.put("api.uri", "http://192.0.2.10:8090");
        assertTrue(refused(p, true).contains("not a loopback address"), refused(p, true));
        p.put("api.uri", "https://127.0.0.1:8090");
        assertTrue(refused(p, true).contains("is not http://host:port"));
        p.put("api.uri", "http://127.0.0.1");
        assertTrue(refused(p, true).contains("names no port"));
        p.put("api.uri", "http://127.0.0.1:8090/chirpstack");
        assertTrue(refused(p, true).contains("path"));
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            p.put("api.uri", "http://127.0.0.1:" + taken.getLocalPort());
            String why = refused(p, true);
            assertTrue(why.contains("is in use") && why.contains(String.valueOf(taken.getLocalPort())), why);
        }
    }

    @Test
    void aTokenFileWithoutATokenIsRefusedWithoutShowingIt() throws Exception {
        Hashtable<String, Object> p = good();
        Path token = Path.of((String) p.get("api.token.file"));
        Files.writeString(token, "two words\n");
        String why = refused(p, true);
        assertTrue(why.contains("holds no API token") && !why.contains("two words"), why);
        Files.writeString(token, "\n");
        assertTrue(refused(p, true).contains("holds no API token"));
        Files.delete(token);
        assertTrue(refused(p, true).contains("does not exist"));
        p.put("api.token.file", "");
        assertTrue(refused(p, true).contains("api.token.file in etc/"));
    }

    @Test
    void theOperatorsKeyFileAndABadAddressAreRefused() throws Exception {
        Hashtable<String, Object> p = good();
        Path keys = Path.of((String) p.get("multicast.keys.file"));
        Files.writeString(keys, "70B3D50000000001 " + "cd".repeat(16) + "\n");
        String why = refused(p, true);
        assertTrue(why.contains("was not written by updraft:demo") && !why.contains("cdcd"), why);
        assertEquals("70B3D50000000001 " + "cd".repeat(16) + "\n", Files.readString(keys));
        p.put("multicast.keys.file", "");
        assertTrue(refused(p, true).contains("multicast.keys.file in etc/"));
        p = good();
        p.put("multicast.address", "xyz");
        assertTrue(refused(p, true).contains("multicast.address"));
    }

    private Hashtable<String, Object> good() throws Exception {
        Hashtable<String, Object> p = new Hashtable<>();
        Path token = dir.resolve("api-token");
        Files.writeString(token, TOKEN + "\n");
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        p.put("multicast.enabled", "true");
        p.put("api.uri", "http://127.0.0.1:" + port);
        p.put("api.token.file", token.toString());
        p.put("multicast.keys.file", dir.resolve("mc-root-keys").toString());
        p.put("multicast.address", "0A0B0C0D");
        return p;
    }

    private static int port(Dictionary<String, Object> p) {
        String uri = (String) p.get("api.uri");
        return Integer.parseInt(uri.replaceAll(".*:(\\d+)/?$", "$1"));
    }

    private static String refused(Dictionary<String, Object> p, boolean multicast) {
        return assertThrows(IllegalStateException.class, () -> LorawanSettings.multicast(p, multicast)).getMessage();
    }
}
