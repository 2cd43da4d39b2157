package org.updraft.core.delta;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared delta fixtures' own digests (SHA256SUMS), so the expected results are never typed in here. */
final class Fixtures {

    private Fixtures() {
    }

    static String sha256Of(Path fixtures, String file) throws Exception {
        for (String line : Files.readAllLines(fixtures.resolve("SHA256SUMS"))) {
            String[] parts = line.trim().split("\\s+\\*?");
            if (parts.length == 2 && parts[1].equals(file)) {
                return parts[0];
            }
        }
        throw new IllegalStateException(file + " is not in " + fixtures.resolve("SHA256SUMS"));
    }
}
