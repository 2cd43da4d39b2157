package org.updraft.profile.espidf.internal;

import java.util.Map;

/**
 * The chip ids of ESP-IDF's {@code esp_chip_id_t}, as an image's extended header names its target. Only for
 * messages: a class is configured by number, so a chip released after this list works too.
 */
final class EspChip {

    private static final Map<Integer, String> NAMES = Map.ofEntries(Map.entry(0x0000, "esp32"),
            Map.entry(0x0002, "esp32s2"), Map.entry(0x0005, "esp32c3"), Map.entry(0x0009, "esp32s3"),
            Map.entry(0x000C, "esp32c2"), Map.entry(0x000D, "esp32c6"), Map.entry(0x0010, "esp32h2"),
            Map.entry(0x0012, "esp32p4"), Map.entry(0x0014, "esp32c61"), Map.entry(0x0017, "esp32c5"));

    private EspChip() {
    }

    /** {@code 5 (esp32c3)}, or the number alone for an id this list does not know. */
    static String describe(int chipId) {
        String name = NAMES.get(chipId);
        return name == null ? Integer.toString(chipId) : chipId + " (" + name + ")";
    }

    /** A chip revision as ESP-IDF writes it: {@code major * 100 + minor}, shown as {@code v3.1}. */
    static String revision(int full) {
        return "v" + full / 100 + "." + full % 100;
    }

    /**
     * @param configured {@code v3.1}, {@code 3.1} or {@code 3}
     * @return {@code major * 100 + minor}
     * @throws IllegalArgumentException when it is not such a revision
     */
    static int parseRevision(String configured) {
        String value = configured.trim();
        if (value.startsWith("v") || value.startsWith("V")) {
            value = value.substring(1);
        }
        String[] parts = value.split("\\.", -1);
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            if (parts.length > 2 || major < 0 || major > 655 || minor < 0 || minor > 99) {
                throw new NumberFormatException();
            }
            return major * 100 + minor;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("chip revision '" + configured + "' is not MAJOR.MINOR (e.g. v3.1)");
        }
    }
}
