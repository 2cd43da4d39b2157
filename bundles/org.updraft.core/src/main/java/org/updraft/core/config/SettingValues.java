package org.updraft.core.config;

import java.util.Arrays;
import java.util.List;

/**
 * How configuration values that are not plain numbers are read, the same way by every component: lists and byte
 * sizes. A {@code .cfg} file gives a list as one string ({@code delta.codecs = vcdiff, bsdiff}) where Configuration
 * Admin from the shell or a test gives several, and vendors write sizes as their tools do ({@code 0x20000}).
 */
public final class SettingValues {

    private SettingValues() {
    }

    /**
     * @param configured the configured values; each element is split at commas, then trimmed
     * @return the non-empty elements, in order
     */
    public static List<String> list(String[] configured) {
        if (configured == null) {
            return List.of();
        }
        return Arrays.stream(configured).flatMap(c -> Arrays.stream(c.split(","))).map(String::trim)
                .filter(c -> !c.isEmpty()).toList();
    }

    /**
     * @param key the setting's name, for the message
     * @param configured a size in bytes, decimal or {@code 0x} hexadecimal
     * @return the size, at least 1
     * @throws IllegalArgumentException naming the setting when the value is not a positive number
     */
    public static long size(String key, String configured) {
        long size;
        try {
            size = Long.decode(configured == null ? "" : configured.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " '" + configured + "' is not a number (decimal or 0x "
                    + "hexadecimal)");
        }
        if (size <= 0) {
            throw new IllegalArgumentException(key + " '" + configured + "' must be positive");
        }
        return size;
    }
}
