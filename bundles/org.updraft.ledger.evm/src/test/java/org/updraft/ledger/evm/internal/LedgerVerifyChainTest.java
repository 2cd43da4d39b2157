package org.updraft.ledger.evm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.apache.karaf.shell.support.CommandException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.CheckpointAnchor;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.log.LedgerAudit;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.shell.internal.LedgerVerifyCommand;

/**
 * {@code updraft:ledger-verify --chain}, the shell's own command, against checkpoints anchored on a real chain: it
 * passes on the genuine log, and names the first anchored checkpoint that a rewritten log no longer extends, even
 * when the rewrite re-signed the local checkpoints with the log key so that the local audit passes.
 */
class LedgerVerifyChainTest {

    @TempDir
    Path dir;

    @Test
    void passesOnTheGenuineLog_andNamesTheCheckpointWhenTheLocalLogIsAltered() throws Exception {
        try (EvmTestPlatform platform = EvmTestPlatform.start(dir, 10)) {
            List<CheckpointAnchor> anchored = List.of();
            for (int batch = 1; batch <= 3; batch++) { // one checkpoint per 10 events
                for (int i = 0; i < 10; i++) {
                    platform.evm().append(new LedgerEvent("device.reported", Instant.now(), "did:key:test",
                            ("report " + batch + "." + i).getBytes(), null));
                }
                anchored = platform.awaitCheckpoints(batch, Duration.ofSeconds(60));
            }
            assertEquals(List.of(10L, 20L, 30L), anchored.stream().map(CheckpointAnchor::treeSize).toList());

            LedgerVerifyCommand verify = command(platform.evm(), platform);
            verify.execute(); // passes

            // rewrite history: event #15 altered, the whole log rebuilt and re-signed with the log key
            List<LedgerEntry> events = platform.local().read(0, 100);
            platform.closeLedgers();
            Path ledgerDir = dir.resolve("ledger");
            Path forgedDir = dir.resolve("forged");
            try (FileLedger forged = FileLedger.open(forgedDir, dir.resolve("log-key.pem"), "test-log", false)) {
                for (LedgerEntry e : events) {
                    LedgerEvent ev = e.event();
                    forged.append(e.index() == 15 ? new LedgerEvent(ev.type(), ev.time(), ev.actor(),
                            "a different report".getBytes(), null) : ev);
                    if ((e.index() + 1) % 10 == 0) {
                        forged.checkpoint();
                    }
                }
            }
            try (Stream<Path> files = Files.walk(ledgerDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            Files.move(forgedDir, ledgerDir);

            try (FileLedger reopened = FileLedger.open(ledgerDir, dir.resolve("log-key.pem"), "test-log", false)) {
                assertTrue(LedgerAudit.audit(reopened, null).consistent(), "the rewrite is invisible locally");
                LedgerVerifyCommand again = command(reopened, platform);
                // the shell refuses with a CommandException: one line in the console and the log, no stack trace
                CommandException failure = assertThrows(CommandException.class, again::execute);
                assertTrue(failure.getMessage().contains("anchored checkpoint #1 (block "), failure.getMessage());
                assertTrue(failure.getMessage().contains("tree size 20"), failure.getMessage());
            }
        }
    }

    /** The shell's command as {@code updraft:ledger-verify --chain} runs it, on the EVM ledger's anchors. */
    private static LedgerVerifyCommand command(Ledger ledger, EvmTestPlatform platform) {
        return new LedgerVerifyCommand(ledger, platform.evm(), true);
    }
}
