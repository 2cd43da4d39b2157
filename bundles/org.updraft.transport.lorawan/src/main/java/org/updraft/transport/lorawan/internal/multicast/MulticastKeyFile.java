package org.updraft.transport.lorawan.internal.multicast;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The devices' McRootKeys, from {@code multicast.keys.file}: one device a line, {@code DevEUI McRootKey} (16 and 32
 * hex digits, separated by blanks); blank lines and lines starting with {@code #} are skipped. The file holds
 * McRootKeys, not GenAppKeys or AppKeys: the platform never needs a device's root LoRaWAN key, and one McRootKey
 * serves LoRaWAN 1.0.x and 1.1 devices alike (derive it with {@link McKeys#rootKeyFromGenAppKey} or
 * {@link McKeys#rootKeyFromAppKey}).
 *
 * <p>Fail closed: a file its group or others may read is refused, as is the whole file when one line is malformed
 * (the message names the line, never a key).
 */
public final class MulticastKeyFile {

    private MulticastKeyFile() {
    }

    /**
     * @return McRootKey by DevEUI (lower case)
     * @throws IllegalArgumentException when the file cannot be read, may be read by others, or has a bad line
     */
    public static Map<String, byte[]> read(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IllegalArgumentException("multicast.keys.file " + file + " may be read by its group or "
                        + "others: chmod 600 it (refused)");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new IllegalArgumentException("multicast.keys.file " + file + " cannot be read: " + e.getMessage(), e);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("multicast.keys.file " + file + " cannot be read: " + e.getMessage(), e);
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            String where = "multicast.keys.file " + file + " line " + (i + 1);
            if (fields.length != 2) {
                throw new IllegalArgumentException(where + ": expected 'DevEUI McRootKey', found " + fields.length
                        + " fields");
            }
            if (!fields[0].matches("[0-9a-fA-F]{16}")) {
                throw new IllegalArgumentException(where + ": the DevEUI is not 16 hex digits");
            }
            if (!fields[1].matches("[0-9a-fA-F]{32}")) {
                throw new IllegalArgumentException(where + ": the McRootKey is not 32 hex digits");
            }
            String devEui = fields[0].toLowerCase(Locale.ROOT);
            if (keys.put(devEui, HexFormat.of().parseHex(fields[1])) != null) {
                throw new IllegalArgumentException(where + ": " + devEui + " is listed twice");
            }
        }
        return keys;
    }
}
