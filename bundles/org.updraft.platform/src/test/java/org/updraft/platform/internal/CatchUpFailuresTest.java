package org.updraft.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.LedgerException;

class CatchUpFailuresTest {

    /** The lines slf4j-simple writes to standard error while {@code calls} runs. */
    private static List<String> logged(Runnable calls) {
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            calls.run();
        } finally {
            System.setErr(stderr);
        }
        return log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("CatchUpFailuresTest")).toList();
    }

    @Test
    void anOutageIsOneWarningAndItsEndOneLine() {
        CatchUpFailures failures = new CatchUpFailures(LoggerFactory.getLogger(CatchUpFailuresTest.class), "Index");
        List<String> lines = logged(() -> {
            failures.succeeded(); // nothing to say: it never failed
            for (int i = 0; i < 100; i++) {
                failures.failed(new LedgerException("the ledger database is unavailable: connection refused"));
            }
            failures.succeeded();
            failures.succeeded();
            failures.failed(new LedgerException("the ledger database is unavailable: timeout"));
        });
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertEquals(true, lines.get(0).contains("WARN") && lines.get(0).contains("connection refused"), lines.get(0));
        assertEquals(true, lines.get(1).contains("INFO") && lines.get(1).contains("reads new ledger events again"),
                lines.get(1));
        assertEquals(true, lines.get(2).contains("WARN") && lines.get(2).contains("timeout"), lines.get(2));
    }

    @Test
    void aBackendNotRunningYetIsNotWarnedAbout() {
        CatchUpFailures failures = new CatchUpFailures(LoggerFactory.getLogger(CatchUpFailuresTest.class), "Index");
        List<String> lines = logged(() -> {
            for (int i = 0; i < 5; i++) {
                failures.failed(new BackendNotRunningException("the ledger backend 'postgresql' is not running"));
            }
            failures.succeeded();
        });
        assertEquals(List.of(), lines);
    }
}
