package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.transport.lorawan.internal.multicast.DeviceKeyFile;
import org.updraft.transport.lorawan.internal.multicast.DeviceKeyFile.Kind;

/**
 * {@code updraft lorawan-keys}: the keys it writes are the transport's key files, checked against values computed
 * with OpenSSL ({@code openssl enc -aes-128-ecb -nopad} of {@code tag | 0x00 × 15} under the root key 00..0f):
 * McRootKey c6a13b37... (1.0.x, tag 0x00), 430bff9b... (1.1, tag 0x20), DataBlockIntKey 017a8bd9... (tag 0x30).
 */
class LorawanKeysCommandTest {

    private static final String ROOT = "000102030405060708090a0b0c0d0e0f";
    private static final String DEV_A = "70b3d57ed0000001";
    private static final String DEV_B = "70b3d57ed0000002";
    private static final String ROOT_B = "ffeeddccbbaa99887766554433221100";

    @TempDir
    Path dir;

    private Path roots(String text) throws Exception {
        Path file = dir.resolve("roots");
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static String hex(Map<String, byte[]> keys, String devEui) {
        return HexFormat.of().formatHex(keys.get(devEui));
    }

    @Test
    void writesTheTransportsKeyFilesReadableByTheirOwnerOnly() throws Exception {
        Path in = roots("# DevEUI GenAppKey\n" + DEV_A.toUpperCase() + " " + ROOT + "\n" + DEV_B + " " + ROOT_B + "\n");
        Path mc = dir.resolve("mc-keys");
        Path ts004 = dir.resolve("ts004-keys");
        String out = Cli.run("lorawan-keys", "--lorawan", "1.0", "--mc-root-keys", mc.toString(),
                "--data-block-int-keys", ts004.toString(), in.toString()).ok();
        assertEquals("2 device(s): McRootKeys in " + mc + ", DataBlockIntKeys in " + ts004 + "\n", out);
        assertFalse(out.contains(ROOT.substring(0, 8)) || out.contains("c6a13b37") || out.contains("017a8bd9"), out);
        for (Path p : new Path[] {mc, ts004}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
        // read back as the transport reads them
        Map<String, byte[]> mcKeys = DeviceKeyFile.read(mc, Kind.MC_ROOT_KEY);
        assertEquals("c6a13b37878f5b826f4f8162a1c8d879", hex(mcKeys, DEV_A));
        Map<String, byte[]> intKeys = DeviceKeyFile.read(ts004, Kind.DATA_BLOCK_INT_KEY);
        assertEquals("017a8bd9ecd102ba4bb7946d3d8707e0", hex(intKeys, DEV_A));
        assertEquals(2, intKeys.size());
        assertFalse(Files.readString(ts004).contains(ROOT_B), "no root key in what the platform gets");

        // LoRaWAN 1.1: McRootKey from the AppKey with tag 0x20; DataBlockIntKey the same derivation as 1.0.x
        Path mc11 = dir.resolve("mc-keys-11");
        Path ts11 = dir.resolve("ts004-keys-11");
        Cli.run("lorawan-keys", "--lorawan", "1.1", "--mc-root-keys", mc11.toString(), "--data-block-int-keys",
                ts11.toString(), in.toString()).ok();
        assertEquals("430bff9b049f19279455bd564133c73b", hex(DeviceKeyFile.read(mc11, Kind.MC_ROOT_KEY), DEV_A));
        assertEquals("017a8bd9ecd102ba4bb7946d3d8707e0",
                hex(DeviceKeyFile.read(ts11, Kind.DATA_BLOCK_INT_KEY), DEV_A));
    }

    @Test
    void badInputWritesNothing() throws Exception {
        Path mc = dir.resolve("mc-keys");
        Path ts004 = dir.resolve("ts004-keys");
        Path in = roots(DEV_A + " " + ROOT + "\n" + DEV_B + " " + ROOT_B.substring(2) + "\n");
        String line = Cli.run("lorawan-keys", "--lorawan", "1.0", "--mc-root-keys", mc.toString(),
                "--data-block-int-keys", ts004.toString(), in.toString()).usageError();
        assertTrue(line.contains("root key file " + in + " line 2: the root key is not 32 hex digits"), line);
        assertFalse(line.contains(ROOT_B.substring(2, 12)), "the message names the line, never the key");
        assertFalse(Files.exists(mc) || Files.exists(ts004));

        // root keys others may read are refused
        Path open = roots(DEV_A + " " + ROOT + "\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        line = Cli.run("lorawan-keys", "--lorawan", "1.0", "--data-block-int-keys", ts004.toString(),
                open.toString()).usageError();
        assertTrue(line.contains("chmod 600"), line);
        assertFalse(Files.exists(ts004));

        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-------"));
        line = Cli.run("lorawan-keys", "--mc-root-keys", mc.toString(), open.toString()).usageError();
        assertTrue(line.contains("--lorawan") && line.contains("required"), line);
        line = Cli.run("lorawan-keys", "--lorawan", "1.2", "--mc-root-keys", mc.toString(), open.toString())
                .usageError();
        assertTrue(line.contains("not '1.2'"), line);
        line = Cli.run("lorawan-keys", "--lorawan", "1.0", open.toString()).usageError();
        assertTrue(line.contains("nothing to write"), line);
        assertFalse(Files.exists(mc) || Files.exists(ts004));

        // an existing output is not replaced without --force, and the other output is not written either
        Files.writeString(ts004, "kept\n");
        line = Cli.run("lorawan-keys", "--lorawan", "1.0", "--mc-root-keys", mc.toString(), "--data-block-int-keys",
                ts004.toString(), open.toString()).usageError();
        assertTrue(line.contains("already exists"), line);
        assertEquals("kept\n", Files.readString(ts004));
        assertFalse(Files.exists(mc));
        Cli.run("lorawan-keys", "--lorawan", "1.0", "--mc-root-keys", mc.toString(), "--data-block-int-keys",
                ts004.toString(), "--force", open.toString()).ok();
        assertEquals("017a8bd9ecd102ba4bb7946d3d8707e0", hex(DeviceKeyFile.read(ts004, Kind.DATA_BLOCK_INT_KEY),
                DEV_A));
    }
}
