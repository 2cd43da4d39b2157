package org.updraft.platform.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.delta.Delta;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerFollower;
import org.updraft.core.log.ViewSnapshot;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.testing.CountingLedger;

/**
 * The platform's views (trust, releases, deltas) restored from a snapshot on the file ledger plus the events after
 * it are the views replayed from the start; a snapshot that was altered, is of another log, or of a rewritten log
 * is refused, and the view replays the whole log instead.
 */
class ViewSnapshotsTest {

    @TempDir
    Path dir;

    private FileLedger file;
    private final Instant t0 = Instant.parse("2026-05-01T10:00:00.123456789Z");

    @BeforeEach
    void open() throws Exception {
        file = open(dir.resolve("ledger"), dir.resolve("log-key.pem"));
    }

    private static FileLedger open(Path directory, Path key) throws LedgerException {
        FileLedger ledger = FileLedger.open(directory, key, "test-log", false);
        ledger.keepSnapshots(5, 0);
        return ledger;
    }

    @AfterEach
    void close() {
        file.close();
    }

    /** Real events of every kind the three views read: trust changes, releases, deltas, and others. */
    private void history(Ledger ledger, int round) throws Exception {
        LedgerTrustStore trust = new LedgerTrustStore(new CountingLedger(ledger, false)); // saves no snapshot
        SigningKey a = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey b = SigningKey.generate(KeyAlgorithm.P256);
        SigningKey successor = SigningKey.generate(KeyAlgorithm.ED25519);
        trust.register(a.did(), "acme", Set.of("thermo", "valve"));
        trust.register(b.did(), "globex", Set.of());
        trust.rotate(a.did(), successor.did(), null, "alice");
        trust.revoke(b.did(), "leaked", "bob");
        Release previous = null;
        for (int i = 1; i <= 3; i++) {
            Release r = publish(ledger, trust, successor, round * 10 + i);
            if (previous != null) {
                byte[] patch = sha(("patch" + round + i).getBytes());
                ledger.append(new LedgerEvent(EventTypes.DELTA_PUBLISHED, t0.plusSeconds(i), successor.did(),
                        DeltaEvents.published(new Delta(previous.id(), r.id(), previous.sha256(), r.sha256(), "bsdiff",
                                Cid.v1(Cid.RAW, patch), 1000 + i, 4 << 20, 0)), null));
            }
            previous = r;
        }
        ledger.append(new LedgerEvent("rollout.created", t0, successor.did(), Cbor.encode(List.of("not read")), null));
    }

    private Release publish(Ledger ledger, LedgerTrustStore trust, SigningKey signer, long sequence) throws Exception {
        byte[] image = new byte[512];
        new Random(sequence).nextBytes(image);
        byte[] sha = sha(image);
        Manifest m = new Manifest("acme", "thermo", null, "2.0." + sequence, sequence, image.length, sha, Cid.v0(sha),
                null, t0, signer.did());
        ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, t0.plusMillis(sequence), signer.did(),
                ReleaseEvents.published(ManifestCodec.parse(ManifestCodec.sign(m, signer))), null));
        ReleaseIndex index = new ReleaseIndex(new CountingLedger(ledger, false));
        index.catchUp();
        return index.find(m.releaseId()).orElseThrow();
    }

    private static byte[] sha(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    /** Views that followed the log as it grew: they saved their snapshots. */
    private void followAndSnapshot(Ledger ledger) throws Exception {
        new LedgerTrustStore(ledger);
        new ReleaseIndex(ledger).catchUp();
        new DeltaIndex(ledger).catchUp();
        assertTrue(LedgerFollower.awaitSnapshotWrites(java.time.Duration.ofSeconds(30)));
    }

    @Test
    void eachViewFromItsSnapshotAndTheTailEqualsTheViewReplayedFromTheStart() throws Exception {
        history(file, 1);
        followAndSnapshot(file);
        for (String view : List.of("trust", "releases", "deltas")) {
            assertTrue(Files.isRegularFile(dir.resolve("ledger/views/" + view + ".snapshot")), view);
        }
        long snapshotAt = file.size();
        history(file, 2); // the tail

        CountingLedger restoredReads = new CountingLedger(file, true);
        CountingLedger replayedReads = new CountingLedger(file, false);
        ReleaseIndex restored = new ReleaseIndex(restoredReads);
        ReleaseIndex replayed = new ReleaseIndex(replayedReads);
        restored.catchUp();
        replayed.catchUp();
        assertEquals(file.size(), replayedReads.eventsRead());
        assertEquals(file.size() - snapshotAt, restoredReads.eventsRead(), "only the events after the snapshot are read");
        assertArrayEquals(Cbor.encode(replayed.snapshotState()), Cbor.encode(restored.snapshotState()));
        assertEquals(6, restored.list().size());
        assertEquals(describe(replayed.list()), describe(restored.list()));
        assertEquals(replayed.latestSequence("acme", "thermo"), restored.latestSequence("acme", "thermo"));

        restoredReads = new CountingLedger(file, true);
        replayedReads = new CountingLedger(file, false);
        DeltaIndex restoredDeltas = new DeltaIndex(restoredReads);
        DeltaIndex replayedDeltas = new DeltaIndex(replayedReads);
        restoredDeltas.catchUp();
        replayedDeltas.catchUp();
        assertEquals(file.size() - snapshotAt, restoredReads.eventsRead());
        assertEquals(4, restoredDeltas.list().size());
        assertEquals(replayedDeltas.list().stream().map(Delta::label).toList(),
                restoredDeltas.list().stream().map(Delta::label).toList());
        assertArrayEquals(Cbor.encode(replayedDeltas.snapshotState()), Cbor.encode(restoredDeltas.snapshotState()));

        restoredReads = new CountingLedger(file, true);
        replayedReads = new CountingLedger(file, false);
        LedgerTrustStore restoredTrust = new LedgerTrustStore(restoredReads);
        LedgerTrustStore replayedTrust = new LedgerTrustStore(replayedReads);
        assertEquals(file.size() - snapshotAt, restoredReads.eventsRead());
        assertEquals(6, restoredTrust.list().size(), "three keys a round");
        assertEquals(replayedTrust.list(), restoredTrust.list());
    }

    @Test
    void anAlteredSnapshotIsRefusedAndTheViewReplaysTheWholeLog() throws Exception {
        history(file, 1);
        followAndSnapshot(file);
        history(file, 2);
        Path snapshot = dir.resolve("ledger/views/releases.snapshot");
        byte[] bytes = Files.readAllBytes(snapshot);
        bytes[bytes.length / 2] ^= 1;
        Files.write(snapshot, bytes);

        assertReplaysAll(file);
    }

    @Test
    void aSnapshotWhoseStateWasRewrittenUnderItsOldSealIsRefused() throws Exception {
        history(file, 1);
        followAndSnapshot(file);
        history(file, 2);
        // a well-formed snapshot that forgets a release: only the seal tells
        Path snapshot = dir.resolve("ledger/views/releases.snapshot");
        List<?> sealed = (List<?>) Cbor.decode(Files.readAllBytes(snapshot));
        ViewSnapshot.Body body = ViewSnapshot.decode((byte[]) sealed.get(0));
        List<?> state = (List<?>) Cbor.decode(body.state());
        List<?> releases = (List<?>) state.get(0);
        byte[] forged = Cbor.encode(List.of(releases.subList(1, releases.size()), state.get(1)));
        byte[] forgedBody = ViewSnapshot.encode(new ViewSnapshot.Body(body.view(), body.version(), body.logKey(),
                body.treeSize(), body.rootHash(), forged));
        Files.write(snapshot, Cbor.encode(List.of(forgedBody, sealed.get(1))));

        assertReplaysAll(file);
    }

    @Test
    void aSnapshotOfAnotherLogIsRefused() throws Exception {
        history(file, 1);
        followAndSnapshot(file);
        FileLedger other = open(dir.resolve("other"), dir.resolve("other-key.pem"));
        try {
            history(other, 1);
            history(other, 2);
            Files.createDirectories(dir.resolve("other/views"));
            Files.copy(dir.resolve("ledger/views/releases.snapshot"), dir.resolve("other/views/releases.snapshot"));
            assertReplaysAll(other);
        } finally {
            other.close();
        }
    }

    @Test
    void aSnapshotOfARewrittenLogUnderTheSameKeyIsRefused() throws Exception {
        history(file, 1);
        followAndSnapshot(file);
        // the same log key, another history: the snapshot's seal verifies, its root hash is not this log's
        FileLedger rewritten = open(dir.resolve("rewritten"), dir.resolve("log-key.pem"));
        try {
            history(rewritten, 3);
            history(rewritten, 4);
            Files.createDirectories(dir.resolve("rewritten/views"));
            Files.copy(dir.resolve("ledger/views/releases.snapshot"),
                    dir.resolve("rewritten/views/releases.snapshot"));
            assertReplaysAll(rewritten);
        } finally {
            rewritten.close();
        }
    }

    private static void assertReplaysAll(Ledger ledger) throws Exception {
        CountingLedger restoredReads = new CountingLedger(ledger, true);
        ReleaseIndex restored = new ReleaseIndex(restoredReads);
        restored.catchUp();
        ReleaseIndex replayed = new ReleaseIndex(new CountingLedger(ledger, false));
        replayed.catchUp();
        assertEquals(ledger.size(), restoredReads.eventsRead(), "the snapshot is not used: the whole log is replayed");
        assertEquals(describe(replayed.list()), describe(restored.list()));
    }

    private static List<String> describe(List<Release> releases) {
        return releases.stream().map(r -> r.id() + "@" + r.ledgerIndex() + " " + r.published() + " "
                + java.util.HexFormat.of().formatHex(r.manifest())).toList();
    }
}
