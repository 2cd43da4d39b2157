package org.updraft.core.config;

import java.nio.file.Path;

/**
 * Paths in configuration may start from Karaf's data directory: {@value #KARAF_DATA} stands for the
 * {@code karaf.data} system property. Configuration defaults carry the placeholder literally, so every
 * component resolves it the same way, here. Outside Karaf the property is unset and a path using it is
 * refused rather than guessed: a ledger key or a store must not land in whatever the working directory is.
 */
public final class DataPaths {

    public static final String KARAF_DATA = "${karaf.data}";

    private DataPaths() {
    }

    /**
     * @param configured the configured path, possibly containing {@value #KARAF_DATA}
     * @throws IllegalArgumentException when the path is empty, or uses {@value #KARAF_DATA} while the
     *         system property is not set; the message completes "'directory' …"
     */
    public static Path resolve(String configured) {
        if (configured == null || configured.isBlank()) {
            throw new IllegalArgumentException("is empty");
        }
        String value = configured.trim();
        if (value.contains(KARAF_DATA)) {
            String data = System.getProperty("karaf.data");
            if (data == null || data.isBlank()) {
                throw new IllegalArgumentException("uses " + KARAF_DATA
                        + " but the system property karaf.data is not set; configure an absolute path");
            }
            value = value.replace(KARAF_DATA, data);
        }
        return Path.of(value);
    }

    /**
     * A file a configuration names, such as a key or a certificate: a relative path starts from Karaf's etc
     * directory ({@code karaf.etc}), where the configuration itself is; outside Karaf, from the working directory.
     *
     * @param configured the configured path, possibly containing {@value #KARAF_DATA}
     * @throws IllegalArgumentException as {@link #resolve}
     * @since 1.2
     */
    public static Path resolveFromEtc(String configured) {
        Path path = resolve(configured);
        String etc = System.getProperty("karaf.etc");
        return path.isAbsolute() || etc == null ? path : Path.of(etc).resolve(path);
    }
}
