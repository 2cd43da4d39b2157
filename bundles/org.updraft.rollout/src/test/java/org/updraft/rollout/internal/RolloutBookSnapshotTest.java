package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.log.LedgerFollower;
import org.updraft.core.identity.SigningKey;
import org.updraft.testing.CountingLedger;

/**
 * The rollout book (rollouts, offers, device states and counters, last reports, images, deltas, trust changes)
 * restored from its snapshot plus the events after it is the book replayed from the start, on a real rollout; an
 * altered snapshot is refused and the book replays the whole log.
 */
class RolloutBookSnapshotTest {

    @TempDir
    Path dir;

    private Platform p;

    @BeforeEach
    void open() throws Exception {
        p = new Platform(dir);
        p.ledger.keepSnapshots(1_000_000, 0); // only the snapshot this test asks for, below
    }

    @AfterEach
    void close() {
        p.close();
    }

    private static WaveSpec wave(String name, String selector, int cap) {
        return new WaveSpec(name, WaveSelector.parse(selector), 100, 60, false, null, cap);
    }

    /** A rollout under way: offers, progress, installs, failures and rollbacks in two waves; a delta; a rotation. */
    private Rollout history() throws Exception {
        List<String> devices = p.fleet("dev", 24, "eu", "us");
        Release one = p.publish(5);
        Release two = p.publish(6);
        p.ledger.append(new LedgerEvent(EventTypes.DELTA_PUBLISHED, p.clock.instant(), p.vendorKey.did(),
                DeltaEvents.published(new Delta(one.id(), two.id(), one.sha256(), two.sha256(), "bsdiff",
                        Cid.v1(Cid.RAW, MessageDigest.getInstance("SHA-256").digest(new byte[] {1})), 900, 1 << 22,
                        0)), null));
        Rollout r = p.rollouts.create(new RolloutSpec(two.id(), DeviceFilter.ALL,
                List.of(wave("eu", "region:eu", 0), wave("us", "region:us", 0))), "alice");
        r = p.rollouts.start(r.id(), "alice");
        for (int i = 0; i < devices.size(); i += 2) { // the eu devices
            DeviceState end = i % 6 == 0 ? DeviceState.FAILED : i % 8 == 0 ? DeviceState.ROLLED_BACK
                    : DeviceState.INSTALLED;
            if (i % 10 == 4) {
                assertTrue(p.updates.check(devices.get(i), 1) instanceof UpdateAnswer.Offer); // offered, silent
            } else {
                update(devices.get(i), end);
            }
            p.clock.advance(java.time.Duration.ofMillis(1234567));
        }
        return r;
    }

    /** Check, then reports as the device agent makes them, time passing in between. */
    private void update(String device, DeviceState end) throws Exception {
        UpdateAnswer.Offer offer = (UpdateAnswer.Offer) p.updates.check(device, 1);
        p.clock.advance(java.time.Duration.ofSeconds(7));
        p.updates.report(p.report(device, offer.rolloutId(), offer.release().id(), DeviceState.DOWNLOADING, 1));
        p.clock.advance(java.time.Duration.ofSeconds(30));
        long sequence = end == DeviceState.INSTALLED ? offer.release().sequence() : 1;
        p.updates.report(p.report(device, offer.rolloutId(), offer.release().id(), end, sequence));
    }

    private void tail(Rollout r) throws Exception {
        p.rollouts.advance(r.id(), "alice");
        List<String> us = new ArrayList<>();
        for (int i = 1; i < 24; i += 2) {
            us.add(String.format("dev-%05d", i));
        }
        for (String d : us.subList(0, 7)) {
            update(d, d.endsWith("3") ? DeviceState.ROLLED_BACK : DeviceState.INSTALLED);
        }
        p.trust.rotate(p.vendorKey.did(), SigningKey.generate(KeyAlgorithm.ED25519).did(), null, "alice");
        p.rollouts.pause(r.id(), "bob", "looking");
    }

    @Test
    void theBookFromItsSnapshotAndTheTailEqualsTheBookReplayedFromTheStart() throws Exception {
        Rollout r = history();
        p.ledger.keepSnapshots(1, 0);
        RolloutBook taking = new RolloutBook(p.ledger);
        taking.catchUp();
        assertTrue(LedgerFollower.awaitSnapshotWrites(java.time.Duration.ofSeconds(30)));
        assertTrue(Files.isRegularFile(dir.resolve("views/rollouts.snapshot")));
        long snapshotAt = p.ledger.size();
        p.ledger.keepSnapshots(1_000_000, 0);
        tail(r);
        assertTrue(p.ledger.size() > snapshotAt + 20, "a tail of events: " + (p.ledger.size() - snapshotAt));

        CountingLedger restoredReads = new CountingLedger(p.ledger, true);
        CountingLedger replayedReads = new CountingLedger(p.ledger, false);
        RolloutBook restored = new RolloutBook(restoredReads);
        RolloutBook replayed = new RolloutBook(replayedReads);
        restored.catchUp();
        replayed.catchUp();
        assertEquals(p.ledger.size(), replayedReads.eventsRead());
        assertEquals(p.ledger.size() - snapshotAt, restoredReads.eventsRead(), "only the events after the snapshot are read");
        assertSame(replayed, restored);
    }

    @Test
    void anAlteredSnapshotIsRefusedAndTheBookReplaysTheWholeLog() throws Exception {
        Rollout r = history();
        p.ledger.keepSnapshots(1, 0);
        new RolloutBook(p.ledger).catchUp();
        assertTrue(LedgerFollower.awaitSnapshotWrites(java.time.Duration.ofSeconds(30)));
        p.ledger.keepSnapshots(1_000_000, 0);
        tail(r);
        Path snapshot = dir.resolve("views/rollouts.snapshot");
        byte[] bytes = Files.readAllBytes(snapshot);
        bytes[bytes.length / 3] ^= 0x40;
        Files.write(snapshot, bytes);

        CountingLedger restoredReads = new CountingLedger(p.ledger, true);
        RolloutBook restored = new RolloutBook(restoredReads);
        restored.catchUp();
        RolloutBook replayed = new RolloutBook(new CountingLedger(p.ledger, false));
        replayed.catchUp();
        assertEquals(p.ledger.size(), restoredReads.eventsRead(), "the snapshot is not used");
        assertSame(replayed, restored);
    }

    /** Same bytes of state, and the same answers to what the engine asks the book. */
    private static void assertSame(RolloutBook expected, RolloutBook actual) {
        assertArrayEquals(Cbor.encode(expected.snapshotState()), Cbor.encode(actual.snapshotState()));
        assertEquals(expected.rollouts().stream().map(RolloutRecord::toRollout).toList(),
                actual.rollouts().stream().map(RolloutRecord::toRollout).toList());
        assertEquals(describe(expected), describe(actual));
        assertEquals(expected.releaseImages(), actual.releaseImages());
        assertEquals(expected.trustVersion(), actual.trustVersion());
    }

    private static List<String> describe(RolloutBook book) {
        List<String> out = new ArrayList<>();
        for (RolloutRecord r : book.rollouts()) {
            for (int w = 0; w < r.waves().size(); w++) {
                StringBuilder line = new StringBuilder(r.id() + " wave " + w + ": offered " + r.offered(w)
                        + ", last failure " + r.lastFailure(w) + ", in flight "
                        + r.downloadsInFlight(w, java.time.Instant.parse("2026-03-01T12:00:00Z"),
                                java.time.Duration.ofDays(1)));
                for (DeviceState s : DeviceState.values()) {
                    line.append(", ").append(s).append(' ').append(r.count(w, s));
                }
                out.add(line.toString());
            }
            for (int i = 0; i < r.offerCount(); i++) {
                String device = r.offeredDevice(i);
                RolloutRecord.OfferState o = r.offer(device);
                RolloutBook.LastReport last = book.lastReport(device);
                out.add(device + " wave " + o.wave + " " + o.latest + " " + o.offered + " " + o.lastActivity + " "
                        + o.holdsSlot + " report " + (last == null ? null : last.counter() + "@" + last.ledgerIndex()));
            }
            out.add("trust changes " + book.trustChangesFor(r.vendor(), "nobody", 10));
            out.add("deltas " + book.deltasTo(r.releaseId()).stream().map(Delta::label).toList());
        }
        assertTrue(out.size() > 20, "a book with something in it: " + out);
        return out;
    }
}
