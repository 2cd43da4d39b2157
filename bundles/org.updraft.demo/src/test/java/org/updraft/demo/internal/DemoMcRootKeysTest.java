package org.updraft.demo.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.transport.lorawan.internal.multicast.DeviceKeyFile;

/**
 * The multicast demo's McRootKey file: written whole, mode 600, in the format the LoRaWAN transport reads; replaced
 * only when the demo wrote it; the operator's key file, a link or a missing directory refused, unchanged.
 */
class DemoMcRootKeysTest {

    @TempDir
    Path dir;

    @Test
    void anAbsentFileIsWrittenWholeOwnerOnlyAndTheTransportReadsIt() throws Exception {
        Path file = dir.resolve("mc-root-keys");
        Map<String, byte[]> keys = keys(20, 1);
        DemoMcRootKeys.checkReplaceable(file);
        DemoMcRootKeys.write(file, keys);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        List<String> lines = Files.readAllLines(file);
        assertEquals(DemoMcRootKeys.MARK, lines.get(0));
        assertEquals(21, lines.size());
        // the transport's own reader: it refuses a file others may read, and any bad line
        Map<String, byte[]> read = DeviceKeyFile.read(file, DeviceKeyFile.Kind.MC_ROOT_KEY);
        assertEquals(keys.keySet(), read.keySet());
        keys.forEach((devEui, key) -> assertArrayEquals(key, read.get(devEui), devEui));
        assertEquals(List.of(file), listed(), "no temporary file left beside it");
    }

    @Test
    void theDemosOwnFileOfAnEarlierRunIsReplaced() throws Exception {
        Path file = dir.resolve("mc-root-keys");
        DemoMcRootKeys.write(file, keys(5, 1));
        Map<String, byte[]> next = keys(3, 2);
        DemoMcRootKeys.write(file, next);
        Map<String, byte[]> read = DeviceKeyFile.read(file, DeviceKeyFile.Kind.MC_ROOT_KEY);
        assertEquals(next.keySet(), read.keySet());
        assertEquals(List.of(file), listed());
    }

    @Test
    void theOperatorsKeyFileIsRefusedAndLeftAsItWas() throws Exception {
        Path file = dir.resolve("real-keys");
        String real = "# our fleet\n70B3D50000000001 " + "ab".repeat(16) + "\n";
        Files.writeString(file, real);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DemoMcRootKeys.write(file,
                keys(2, 3)));
        assertTrue(e.getMessage().contains("was not written by updraft:demo") && e.getMessage().contains(
                "multicast.keys.file"), e.getMessage());
        assertFalse(e.getMessage().contains("abab"), "no key in the message: " + e.getMessage());
        assertEquals(real, Files.readString(file));
        assertEquals(List.of(file), listed());

        // a key file with no comment at all, and an empty file, are the operator's too
        Files.writeString(file, "70B3D50000000001 " + "ab".repeat(16) + "\n");
        assertThrows(IllegalStateException.class, () -> DemoMcRootKeys.checkReplaceable(file));
        Files.writeString(file, "");
        assertThrows(IllegalStateException.class, () -> DemoMcRootKeys.checkReplaceable(file));
        // the mark must be the whole first line
        Files.writeString(file, DemoMcRootKeys.MARK + " and more\n");
        assertThrows(IllegalStateException.class, () -> DemoMcRootKeys.checkReplaceable(file));
    }

    @Test
    void aLinkADirectoryAndAMissingDirectoryAreRefused() throws Exception {
        Path target = dir.resolve("target-keys");
        DemoMcRootKeys.write(target, keys(1, 4));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DemoMcRootKeys.write(link,
                keys(1, 5)));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));

        Path sub = Files.createDirectory(dir.resolve("sub"));
        e = assertThrows(IllegalStateException.class, () -> DemoMcRootKeys.checkReplaceable(sub));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());

        e = assertThrows(IllegalStateException.class, () -> DemoMcRootKeys.checkReplaceable(dir.resolve("none/keys")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aBadEntryWritesNothing() throws Exception {
        Path file = dir.resolve("mc-root-keys");
        DemoMcRootKeys.write(file, keys(2, 6));
        String before = Files.readString(file);
        Map<String, byte[]> bad = new LinkedHashMap<>(keys(2, 7));
        bad.put("70b3d5000000000z", new byte[16]);
        assertThrows(IllegalArgumentException.class, () -> DemoMcRootKeys.write(file, bad));
        assertEquals(before, Files.readString(file));
        assertEquals(List.of(file), listed());
    }

    private List<Path> listed() throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(p -> !Files.isDirectory(p) || Files.isSymbolicLink(p)).filter(p -> !p.getFileName()
                    .toString().equals("link") && !p.getFileName().toString().equals("target-keys")).sorted().toList();
        }
    }

    private static Map<String, byte[]> keys(int n, long seed) {
        Random random = new Random(seed);
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byte[] key = new byte[16];
            random.nextBytes(key);
            keys.put(String.format("70b3d5%010x", seed << 20 | i), key);
        }
        return keys;
    }
}
