package org.updraft.itests.distribution;

import java.util.ArrayList;
import java.util.List;

/**
 * What Karaf's features service wrote into {@code data/log/karaf.log} about its deployments: the bundles it
 * stopped ("Stopping bundles:") and refreshed ("Refreshing bundles:", each with its reason, e.g.
 * "Should be wired to: ..." or "Wired to ... which is being refreshed").
 *
 * <p>A refresh that takes in pax-logging stops the logging before "Refreshing bundles:" is written, so that
 * line may be missing from the file; "Stopping bundles:" comes first and is there. A fresh distribution's
 * first boot stops nothing: either line in its log means the first boot rewired bundles that already ran.
 */
final class DeploymentLog {

    private static final String FEATURES_SERVICE = "FeaturesServiceImpl";

    private DeploymentLog() {
    }

    /** Entries under "Refreshing bundles:", as logged: {@code symbolic.name/version (reason)}. */
    static List<String> refreshed(List<String> lines) {
        return section(lines, "Refreshing bundles:");
    }

    /** Entries under "Stopping bundles:": {@code symbolic.name/version}. */
    static List<String> stopped(List<String> lines) {
        return section(lines, "Stopping bundles:");
    }

    /** The symbolic name of an entry, {@code org.updraft.core/0.1.0.SNAPSHOT (reason)} gives {@code org.updraft.core}. */
    static String symbolicName(String entry) {
        int slash = entry.indexOf('/');
        return (slash < 0 ? entry : entry.substring(0, slash)).trim();
    }

    /**
     * The features service logs a heading, then one indented message per bundle; other loggers' lines may come
     * in between (a bundle's activator logs while it starts), other messages of the features service end it.
     */
    private static List<String> section(List<String> lines, String heading) {
        List<String> entries = new ArrayList<>();
        boolean inSection = false;
        for (String line : lines) {
            String message = featuresServiceMessage(line);
            if (message == null) {
                continue;
            }
            if (message.trim().equals(heading)) {
                inSection = true;
            } else if (inSection && message.startsWith("  ")) {
                entries.add(message.trim());
            } else {
                inSection = false;
            }
        }
        return entries;
    }

    /**
     * The message of a line written by the features service, or null. Karaf's layout is
     * {@code time | level | thread | logger | bundle | message}.
     */
    private static String featuresServiceMessage(String line) {
        String[] columns = line.split(" \\| ", 6);
        if (columns.length < 6 || !columns[3].trim().equals(FEATURES_SERVICE)) {
            return null;
        }
        return columns[5];
    }
}
