package org.updraft.ledger.local.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.local.internal.Frames.event;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.testing.Configs;

/** The DS component's life cycle as SCR drives it: activate from configuration, deactivate, again. */
class LocalLedgerTest {

    @TempDir
    Path dir;

    private static LocalLedgerConfig config(String directory, String keyFile, String origin, boolean fsync) {
        return Configs.of(LocalLedgerConfig.class, Map.of("directory", directory, "key_file", keyFile, "origin", origin,
                "fsync", fsync));
    }

    @Test
    void startsAndStopsAnyNumberOfTimes() throws Exception {
        LocalLedgerConfig config = config(dir.resolve("ledger").toString(), dir.resolve("keys/log.pem").toString(),
                "updraft-log", true);
        String did = null;
        for (int activation = 0; activation < 5; activation++) {
            LocalLedger ledger = new LocalLedger(config);
            if (did == null) {
                did = ledger.logKey();
            }
            assertEquals(did, ledger.logKey());
            assertEquals(activation, ledger.size());
            assertEquals(activation, ledger.append(event("a", activation)).index());
            Checkpoint checkpoint = ledger.checkpoint();
            assertEquals("updraft-log", CheckpointCodec.verify(checkpoint.envelope(), did).origin());
            ledger.deactivate();

            LedgerException e = assertThrows(LedgerException.class, () -> ledger.append(event("late", 0)));
            assertEquals("the local ledger is closed", e.getMessage());
            assertThrows(LedgerException.class, ledger::checkpoint);
        }
        assertTrue(Files.exists(dir.resolve("keys/log.pem")));
    }

    @Test
    void karafDataInTheDefaultsIsResolved() throws Exception {
        String previous = System.getProperty("karaf.data");
        System.setProperty("karaf.data", dir.toString());
        try {
            LocalLedger ledger = new LocalLedger(config("${karaf.data}/updraft/ledger",
                    "${karaf.data}/updraft/ledger/log-key.pem", "updraft-log", false));
            try {
                ledger.append(event("k", 1));
            } finally {
                ledger.deactivate();
            }
            assertTrue(Files.exists(dir.resolve("updraft/ledger/log-key.pem")));
            assertTrue(Files.exists(dir.resolve("updraft/ledger/events.log")));
        } finally {
            if (previous == null) {
                System.clearProperty("karaf.data");
            } else {
                System.setProperty("karaf.data", previous);
            }
        }
    }

    @Test
    void unresolvableConfigurationIsNamed() {
        String previous = System.getProperty("karaf.data");
        System.clearProperty("karaf.data");
        try {
            LedgerException e = assertThrows(LedgerException.class,
                    () -> new LocalLedger(config("${karaf.data}/x", dir.resolve("k.pem").toString(), "o", true)));
            assertTrue(e.getMessage().contains("karaf.data is not set"), e.getMessage());
            e = assertThrows(LedgerException.class,
                    () -> new LocalLedger(config(dir.toString(), " ", "o", true)));
            assertTrue(e.getMessage().contains("'key.file' is empty"), e.getMessage());
        } finally {
            if (previous != null) {
                System.setProperty("karaf.data", previous);
            }
        }
    }

    @Test
    void theGeneratedComponentDescriptionOffersTheLocalKind() throws Exception {
        String xml;
        try (var in = LocalLedger.class.getResourceAsStream("/OSGI-INF/" + LocalLedger.class.getName() + ".xml")) {
            xml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertTrue(xml.contains("configuration-pid=\"org.updraft.ledger.local\""), xml);
        assertTrue(xml.contains("<property name=\"ledger.kind\" type=\"String\" value=\"local\"/>"), xml);
        assertTrue(xml.contains("<provide interface=\"org.updraft.api.ledger.Ledger\"/>"), xml);
        assertTrue(xml.contains("deactivate=\"deactivate\""), xml);
    }
}
