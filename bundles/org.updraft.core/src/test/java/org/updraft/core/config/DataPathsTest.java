package org.updraft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class DataPathsTest {

    @Test
    void karafDataStandsForTheDataDirectoryAndIsRefusedOutsideKaraf() {
        String previous = System.getProperty("karaf.data");
        try {
            System.setProperty("karaf.data", "/opt/karaf/data");
            assertEquals(Path.of("/opt/karaf/data/updraft/store"), DataPaths.resolve("${karaf.data}/updraft/store"));
            System.clearProperty("karaf.data");
            IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                    () -> DataPaths.resolve("${karaf.data}/updraft/store"));
            assertTrue(unset.getMessage().contains("karaf.data is not set"), unset.getMessage());
            assertEquals(Path.of("/srv/firmware"), DataPaths.resolve(" /srv/firmware "));
            assertThrows(IllegalArgumentException.class, () -> DataPaths.resolve("  "));
        } finally {
            if (previous != null) {
                System.setProperty("karaf.data", previous);
            }
        }
    }
}
