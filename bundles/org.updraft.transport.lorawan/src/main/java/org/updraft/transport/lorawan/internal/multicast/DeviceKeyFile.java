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
import java.util.Objects;
import java.util.Set;

/**
 * A file of per-device keys the operator derived offline from each device's root key, one device a line:
 * {@code DevEUI key} (16 and 32 hex digits, separated by blanks); blank lines and lines starting with {@code #} are
 * skipped. Such files hold derived keys, never GenAppKeys or AppKeys: the platform never needs a device's root
 * LoRaWAN key. Two kinds exist, each named after its setting:
 * <ul>
 * <li>{@link Kind#MC_ROOT_KEY}: TS005's McRootKey ({@code multicast.keys.file}); one McRootKey serves LoRaWAN 1.0.x and
 * 1.1 devices alike (derive it with {@link McKeys#rootKeyFromGenAppKey} or {@link McKeys#rootKeyFromAppKey});</li>
 * <li>{@link Kind#DATA_BLOCK_INT_KEY}: TS004 v2.0.0's DataBlockIntKey ({@code ts004.keys.file}), derived as
 * {@code DataBlockMic.dataBlockIntKey} does.</li>
 * </ul>
 * The offline CLI ({@code updraft lorawan-keys}) reads a file of root keys under the same rule ({@link Kind#ROOT_KEY})
 * and writes both kinds.
 *
 * <p>Fail closed, the same rule for both: a file its group or others may read is refused, as is the whole file when
 * one line is malformed (the message names the setting, the file and the line, never a key).
 */
public final class DeviceKeyFile {

    /** What a key file holds, and the setting that names it (for messages). */
    public enum Kind {
        MC_ROOT_KEY("multicast.keys.file", "McRootKey"),
        DATA_BLOCK_INT_KEY("ts004.keys.file", "DataBlockIntKey"),
        /** The devices' root keys (GenAppKey or AppKey), which only the CLI reads, offline, to derive the others. */
        ROOT_KEY("root key file", "root key");

        private final String setting;
        private final String key;

        Kind(String setting, String key) {
            this.setting = setting;
            this.key = key;
        }

        /** The configuration setting that names such a file (what messages call it). */
        public String setting() {
            return setting;
        }

        /** The key's name in TS004/TS005. */
        public String keyName() {
            return key;
        }
    }

    private DeviceKeyFile() {
    }

    /**
     * @return the key of each device by DevEUI (lower case)
     * @throws IllegalArgumentException when the file cannot be read, may be read by others, or has a bad line
     */
    public static Map<String, byte[]> read(Path file, Kind kind) {
        Objects.requireNonNull(kind, "kind");
        String name = kind.setting() + " " + file;
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IllegalArgumentException(name + " may be read by its group or others: chmod 600 it "
                        + "(refused)");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " cannot be read: " + e.getMessage(), e);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " cannot be read: " + e.getMessage(), e);
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            String where = name + " line " + (i + 1);
            if (fields.length != 2) {
                throw new IllegalArgumentException(where + ": expected 'DevEUI " + kind.keyName() + "', found "
                        + fields.length + " fields");
            }
            if (!fields[0].matches("[0-9a-fA-F]{16}")) {
                throw new IllegalArgumentException(where + ": the DevEUI is not 16 hex digits");
            }
            if (!fields[1].matches("[0-9a-fA-F]{32}")) {
                throw new IllegalArgumentException(where + ": the " + kind.keyName() + " is not 32 hex digits");
            }
            String devEui = fields[0].toLowerCase(Locale.ROOT);
            if (keys.put(devEui, HexFormat.of().parseHex(fields[1])) != null) {
                throw new IllegalArgumentException(where + ": " + devEui + " is listed twice");
            }
        }
        return keys;
    }
}
