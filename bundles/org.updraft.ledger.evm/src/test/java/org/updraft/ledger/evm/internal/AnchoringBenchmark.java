package org.updraft.ledger.evm.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.updraft.api.ledger.LedgerEvent;
import org.updraft.ledger.local.internal.FileLedger;

/**
 * Appends per second on the local log alone and through the EVM ledger while it anchors to ganache, and the gas of
 * one checkpoint transaction. Not a test: run with the test classpath,
 * {@code java -cp ... org.updraft.ledger.evm.internal.AnchoringBenchmark EVENTS}.
 */
public final class AnchoringBenchmark {

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 20000;
        Path dir = Files.createTempDirectory("anchoring-benchmark");
        try (Ganache ganache = Ganache.start(dir.resolve("chain"))) {
            try (FileLedger plain = FileLedger.open(dir.resolve("plain"), dir.resolve("k1.pem"), "bench", true)) {
                System.out.printf("local log only:      %,.0f appends/s%n", rate(plain, events));
            }
            try (FileLedger local = FileLedger.open(dir.resolve("ledger"), dir.resolve("k2.pem"), "bench", true)) {
                EvmLedger evm = new EvmLedger(Platform.settings(ganache.url(), dir, "", 1000, Duration.ofSeconds(5)),
                        local);
                while (evm.contract().isEmpty()) {
                    Thread.sleep(50);
                }
                System.out.printf("EVM ledger anchoring: %,.0f appends/s%n", rate(evm, events));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (evm.status().checkpointTreeSize() < local.size() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                System.out.printf("anchored: %d events in %d transactions; gas of the last checkpoint: %d%n",
                        evm.status().checkpointTreeSize(), evm.status().transactions(), evm.lastCheckpointGas());
                evm.deactivate();
            }
        }
    }

    private static double rate(org.updraft.api.ledger.Ledger ledger, int events) throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < events; i++) {
            ledger.append(new LedgerEvent("device.reported", Instant.now(), "did:key:bench", new byte[64], null));
        }
        return events / ((System.nanoTime() - start) / 1e9);
    }
}
