package org.updraft.transport.lorawan.internal.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.transport.lorawan.internal.multicast.DeviceKeyFile.Kind;

/** The per-device key files (McRootKey, DataBlockIntKey): read, or refused whole with the setting and line named. */
class DeviceKeyFileTest {

    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    private Path secret(String content) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Test
    void keyFileIsReadAndRefusedWhenOthersMayReadIt() throws Exception {
        Path file = secret("# DevEUI McRootKey\n70B3D50000000001 000102030405060708090a0b0c0d0e0f\n\n");
        Map<String, byte[]> keys = DeviceKeyFile.read(file, Kind.MC_ROOT_KEY);
        assertEquals(1, keys.size());
        assertEquals("000102030405060708090a0b0c0d0e0f", HEX.formatHex(keys.get("70b3d50000000001")));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceKeyFile.read(file, Kind.MC_ROOT_KEY));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw--w----"));
        assertEquals(1, DeviceKeyFile.read(file, Kind.MC_ROOT_KEY).size(), "only reading by others is refused");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));
        assertThrows(IllegalArgumentException.class, () -> DeviceKeyFile.read(file, Kind.MC_ROOT_KEY));

        Path bad = secret("70b3d50000000001 000102030405060708090a0b0c0d0e\n");
        e = assertThrows(IllegalArgumentException.class, () -> DeviceKeyFile.read(bad, Kind.MC_ROOT_KEY));
        assertTrue(e.getMessage().contains("line 1") && !e.getMessage().contains("0001020304"), e.getMessage());
    }

    /** The same rules for TS004 v2.0.0's keys, the messages naming ts004.keys.file and DataBlockIntKey. */
    @Test
    void dataBlockIntKeysFollowTheSameRules() throws Exception {
        Path file = secret("70b3d50000000001 ffeeddccbbaa99887766554433221100\n# a comment\n"
                + "70b3d50000000002\t00112233445566778899aabbccddeeff\n");
        Map<String, byte[]> keys = DeviceKeyFile.read(file, Kind.DATA_BLOCK_INT_KEY);
        assertEquals(2, keys.size());
        assertEquals("00112233445566778899aabbccddeeff", HEX.formatHex(keys.get("70b3d50000000002")));

        Path twice = secret("70b3d50000000001 ffeeddccbbaa99887766554433221100\n"
                + "70B3D50000000001 00112233445566778899aabbccddeeff\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceKeyFile.read(twice, Kind.DATA_BLOCK_INT_KEY));
        assertTrue(e.getMessage().startsWith("ts004.keys.file " + twice + " line 2: ")
                && e.getMessage().contains("listed twice") && !e.getMessage().contains("ffeedd"), e.getMessage());

        Path shortKey = secret("70b3d50000000001 ffeeddccbbaa9988776655443322110\n");
        e = assertThrows(IllegalArgumentException.class, () -> DeviceKeyFile.read(shortKey, Kind.DATA_BLOCK_INT_KEY));
        assertTrue(e.getMessage().contains("the DataBlockIntKey is not 32 hex digits")
                && !e.getMessage().contains("ffeedd"), e.getMessage());

        Path threeFields = secret("70b3d50000000001 ffeeddccbbaa99887766554433221100 extra\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> DeviceKeyFile.read(threeFields, Kind.DATA_BLOCK_INT_KEY));
        assertTrue(e.getMessage().contains("expected 'DevEUI DataBlockIntKey', found 3 fields"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> DeviceKeyFile.read(dir.resolve("missing"), Kind.DATA_BLOCK_INT_KEY));
        assertTrue(e.getMessage().startsWith("ts004.keys.file ") && e.getMessage().contains("cannot be read"),
                e.getMessage());
    }
}
