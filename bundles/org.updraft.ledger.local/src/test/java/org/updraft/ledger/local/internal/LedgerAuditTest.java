package org.updraft.ledger.local.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.local.internal.Frames.event;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.log.LedgerAudit;
import org.updraft.core.log.MerkleHash;

/** {@code updraft:ledger-verify}'s audit, run against the real file ledger with its files altered underneath. */
class LedgerAuditTest {

    @TempDir
    Path dir;

    private FileLedger open() throws Exception {
        return FileLedger.open(dir, dir.resolve("log-key.pem"), "audit-log", true);
    }

    /** 40 events with checkpoints issued at 10, 25 and 40. */
    private FileLedger populated() throws Exception {
        FileLedger ledger = open();
        for (int i = 0; i < 40; i++) {
            ledger.append(event("audit", i));
            if (i == 9 || i == 24 || i == 39) {
                ledger.checkpoint();
            }
        }
        return ledger;
    }

    @Test
    void aConsistentLogPassesEveryCheckpoint() throws Exception {
        try (FileLedger ledger = populated()) {
            List<Long> progress = new ArrayList<>();
            LedgerAudit.Result result = LedgerAudit.audit(ledger, progress::add);
            assertTrue(result.consistent(), result.firstInconsistency());
            assertEquals(40, result.events());
            assertEquals(4, result.checkpoints(), "three issued checkpoints and the current one");
            assertArrayEquals(ledger.checkpoint().rootHash(), result.rootHash());
            assertEquals(40L, progress.get(progress.size() - 1));
        }
    }

    @Test
    void anEventRewrittenWithItsLeafHashIsCaughtByTheCheckpointAfterIt() throws Exception {
        try (FileLedger ledger = populated()) {
            Path events = dir.resolve(FileLedger.EVENTS_FILE);
            Frames.Frame frame = Frames.list(events).get(12);
            byte[] body = Frames.body(events, frame);
            byte[] eventBytes = Arrays.copyOfRange(body, MerkleHash.SIZE, body.length);
            // a forger who knows the format: change the payload, store the matching leaf hash, fix the checksum
            eventBytes[eventBytes.length - 1] ^= 1;
            byte[] forged = new byte[body.length];
            System.arraycopy(MerkleHash.leafHash(eventBytes), 0, forged, 0, MerkleHash.SIZE);
            System.arraycopy(eventBytes, 0, forged, MerkleHash.SIZE, eventBytes.length);
            Frames.forge(events, frame, forged);

            LedgerAudit.Result result = LedgerAudit.audit(ledger, null);
            assertFalse(result.consistent());
            assertTrue(result.firstInconsistency().contains("checkpoint of 25 events"), result.firstInconsistency());
            assertTrue(result.firstInconsistency().contains("from #10 to #24"), result.firstInconsistency());
        }
    }

    @Test
    void anEventChangedWithoutItsLeafHashIsNamed() throws Exception {
        try (FileLedger ledger = populated()) {
            Path events = dir.resolve(FileLedger.EVENTS_FILE);
            Frames.Frame frame = Frames.list(events).get(31);
            byte[] body = Frames.body(events, frame);
            body[body.length - 1] ^= 1;
            Frames.forge(events, frame, body);

            LedgerAudit.Result result = LedgerAudit.audit(ledger, null);
            assertFalse(result.consistent());
            assertTrue(result.firstInconsistency().startsWith("event #31 cannot be read"), result.firstInconsistency());
        }
    }
}
