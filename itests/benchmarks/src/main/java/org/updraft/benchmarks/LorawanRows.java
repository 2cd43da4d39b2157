package org.updraft.benchmarks;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import org.updraft.api.delta.Delta;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.store.CidOptions;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.delta.BsdiffCodec;
import org.updraft.core.delta.Deltas;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.transport.lorawan.internal.fec.FragmentDecoder;
import org.updraft.transport.lorawan.internal.fec.FragmentEncoder;
import org.updraft.transport.lorawan.internal.fec.ParityRows;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.radio.DataRate;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.radio.Region;
import org.updraft.transport.lorawan.internal.session.DeviceResult;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.Participant;
import org.updraft.transport.lorawan.internal.session.SessionPlan;
import org.updraft.transport.lorawan.internal.sim.LossModel;
import org.updraft.transport.lorawan.internal.sim.SimulatedDevice;
import org.updraft.transport.lorawan.internal.sim.SimulatedNetwork;
import org.updraft.transport.lorawan.internal.update.UpdateBlock;

/**
 * Rows 14a-e, issue 14's: (a-c) fragments a device needed to decode against M, TS004's bound, at 0%, 10% and 30% random
 * loss (TS004 v1.0.0 FEC, the transport's); (d) the FEC encoder's coded fragments against a bare XOR of the same rows'
 * fragments (rows computed beforehand), one thread; (e) a 100 KiB image at DR5 with a 10% duty cycle, a multicast
 * session to 10 devices at 10% loss in the simulator: the duty-cycle bound (the image's least airtime over the duty
 * cycle) against the simulated session's time; (f) a delta update of a realistic change (the shared fixture pair: 64
 * KiB, 300 scattered byte changes and a 2 KiB insertion) against the full image, to one device by a unicast session at
 * DR5 with a 10% duty cycle, in the simulator: fragments and airtime of the block with the platform's bsdiff patch
 * against those of the block with the image, each block carrying the same real offer.
 */
final class LorawanRows {

    private static final long FREQUENCY = 869_525_000L;

    private LorawanRows() {
    }

    static List<Row> run(boolean quick) throws Exception {
        List<Row> rows = new ArrayList<>();
        String[] ids = {"14a", "14b", "14c"};
        double[] losses = {0, 0.1, 0.3};
        for (int i = 0; i < losses.length; i++) {
            rows.add(needed(ids[i], losses[i], quick ? 20 : 200));
        }
        rows.add(encode(quick));
        rows.add(session());
        rows.add(delta(BenchmarkRun.repositoryRoot()));
        return rows;
    }

    /** Mean fragments received until the decoder rebuilt a 20 KiB block, fragments sent in counter order. */
    private static Row needed(String id, double loss, int trials) {
        int fragSize = Region.EU868.dataRate(5).maxFragmentSize();
        Random random = new Random(14);
        byte[] block = new byte[20 * 1024];
        random.nextBytes(block);
        FragmentEncoder encoder = new FragmentEncoder(block, fragSize, Ts004Version.V1_0_0);
        int m = encoder.nbFrag();
        long received = 0;
        int worst = 0;
        for (int t = 0; t < trials; t++) {
            FragmentDecoder decoder = new FragmentDecoder(m, fragSize, Ts004Version.V1_0_0);
            int heard = 0;
            for (int counter = 1; ; counter++) {
                if (counter > encoder.nbFrag() + encoder.maxRedundancy()) {
                    throw new IllegalStateException("row " + id + ": no decode within TS004's counters");
                }
                if (random.nextDouble() < loss) {
                    continue;
                }
                heard++;
                if (decoder.accept(counter, encoder.fragment(counter)) == FragmentDecoder.Outcome.COMPLETED) {
                    break;
                }
            }
            if (!java.util.Arrays.equals(decoder.block(encoder.padding()), block)) {
                throw new IllegalStateException("row " + id + ": the decoder rebuilt another block");
            }
            received += heard;
            worst = Math.max(worst, heard);
        }
        double mean = (double) received / trials;
        return new Row(id, String.format(Locale.ROOT, "LoRaWAN FEC: fragments needed to decode, %.0f%% random loss"
                + " (M=%d, 20 KiB at DR5, %d trials)", loss * 100, m, trials), m / mean, "M / needed",
                "TS004's bound: decoding from exactly M", 1.0, "M / needed", 0.9, "≥ 0.9", false, String.format(Locale.ROOT,
                        "%.2f fragments received on average (at most %d) to decode M=%d: TS004 v1.0.0's parity rows, "
                                + "Gaussian elimination over GF(2) in the decoder", mean, worst, m));
    }

    /** Coded fragments per second: the encoder (which draws each row from TS004's PRBS) against XORing fixed rows. */
    private static Row encode(boolean quick) throws Exception {
        int fragSize = Region.EU868.dataRate(5).maxFragmentSize();
        byte[] block = new byte[100 * 1024];
        new Random(15).nextBytes(block);
        FragmentEncoder encoder = new FragmentEncoder(block, fragSize, Ts004Version.V1_0_0);
        int m = encoder.nbFrag();
        int coded = m;
        byte[][] uncoded = new byte[m][];
        for (int i = 0; i < m; i++) {
            uncoded[i] = encoder.fragment(i + 1);
        }
        int[][] rows = new int[coded][];
        for (int n = 1; n <= coded; n++) {
            rows[n - 1] = ParityRows.indices(Ts004Version.V1_0_0, n, m);
        }
        int[] next = {0, 0};
        double seconds = quick ? 0.2 : 2;
        int rounds = quick ? 1 : 5;
        double[] rates = Rates.interleaved(() -> {
            int n = next[0]++ % coded;
            return encoder.fragment(m + 1 + n).length > 0 ? 1 : 0;
        }, () -> {
            int n = next[1]++ % coded;
            byte[] out = new byte[fragSize];
            for (int i : rows[n]) {
                byte[] f = uncoded[i];
                for (int k = 0; k < fragSize; k++) {
                    out[k] ^= f[k];
                }
            }
            return out.length > 0 ? 1 : 0;
        }, rounds, seconds);
        return new Row("14d", "LoRaWAN FEC encode, coded fragments of a 100 KiB block (M=" + m + ", " + fragSize
                + " bytes), 1 thread", rates[0], "fragments/s", "bare XOR of the same rows' fragments, rows computed "
                + "beforehand", rates[1], "fragments/s", 0.5, "≥ 0.5", false, "the encoder draws each row from TS004's "
                + "23-bit PRBS (M/2 draws) before XORing M/2 fragments; the reference only XORs");
    }

    /** A 100 KiB multicast session at DR5, 10% duty cycle, 10 devices at 10% loss, in the simulator. */
    private static Row session() {
        Random random = new Random(16);
        byte[] image = new byte[100 * 1024];
        random.nextBytes(image);
        byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256").digest(image);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Participant> participants = new ArrayList<>();
        List<SimulatedDevice> devices = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            byte[] key = new byte[16];
            random.nextBytes(key);
            String devEui = String.format("70b3d57ed0%06x", i);
            participants.add(new Participant(devEui, key));
            devices.add(new SimulatedDevice(devEui, digest, Duration.ZERO, 1 << 20, random));
        }
        SessionPlan plan = SessionPlan.multicast(Region.EU868, 5, FREQUENCY, 0x01234567L).withRedundancy(0.15)
                .withMaxAttempts(8).withRepairRounds(8);
        Instant t0 = Instant.parse("2026-12-07T00:00:00Z");
        CountedRefusals refusals = new CountedRefusals(Duration.ofMinutes(1), () -> 0L, (kind, since, total, d) -> {
        });
        FuotaSession session = new FuotaSession(plan, image, participants, new DutyCycleBudget(Region.EU868, 0.01,
                Map.of("g3", 0.1)), refusals);
        SimulatedNetwork network = new SimulatedNetwork(session, t0, random);
        for (SimulatedDevice d : devices) {
            network.add(d, LossModel.random(0.1), LossModel.random(0.1));
        }
        if (!network.run(Duration.ofDays(2))) {
            throw new IllegalStateException("row 14e: the session did not finish");
        }
        long done = session.results().stream().filter(r -> r.state() == DeviceResult.State.DONE).count();
        if (done != devices.size() || devices.stream().anyMatch(d -> !d.verified())) {
            throw new IllegalStateException("row 14e: not every device rebuilt the image: " + session.results());
        }
        FuotaSession.Report r = session.report();
        DataRate dr5 = Region.EU868.dataRate(5);
        double bound = FuotaSession.minimumAirtimeMicros(image.length, dr5) / 0.1 / 1e6;
        double took = Duration.between(r.started(), r.finished()).toMillis() / 1000.0;
        double fragments = Duration.between(r.firstFragment(), r.finished()).toMillis() / 1000.0;
        return new Row("14e", "LoRaWAN session, 100 KiB at DR5 with a 10% duty cycle, multicast to 10 devices at 10% "
                + "loss (simulated)", bound, "s (duty-cycle bound)", "the simulated session's time", took, "s", 0.8,
                "≥ 0.8", false, String.format(Locale.ROOT, "M=%d; %d fragments sent (%d coded), %d repair rounds; "
                        + "until the first fragment (unicast TS003/TS005/TS004 setup of the first device, then one 30 s "
                        + "answer timeout; a device set up later joins with a Class C start of its own) %.0f s, "
                        + "fragments and repair %.0f s (%.2f of the bound alone)", r.nbFrag(), r.fragmentsSent(), r.codedSent(), r.repairRounds(), took - fragments,
                        fragments, bound / fragments));
    }

    /** The fixture pair's delta block against its full block, each in a unicast session to one device. */
    private static Row delta(Path root) throws Exception {
        DeltaRow.Pair pair = DeltaRow.fixture(root);
        byte[] base = Files.readAllBytes(pair.from());
        byte[] image = Files.readAllBytes(pair.to());
        long memory = 4L << 20;
        BsdiffCodec bsdiff = new BsdiffCodec();
        ByteArrayOutputStream made = new ByteArrayOutputStream();
        bsdiff.create(Deltas.channel(base), Deltas.channel(image), made, memory);
        byte[] patch = made.toByteArray();
        byte[] rebuilt = Deltas.apply(bsdiff, Deltas.channel(base), sha256(base), Deltas.channel(patch),
                OutputStream.nullOutputStream(), image.length, memory);
        if (!Arrays.equals(rebuilt, sha256(image))) {
            throw new IllegalStateException("row 14f: the patch does not rebuild the fixture's new.bin");
        }
        byte[][] blocks = blocks(base, image, patch, bsdiff.inspect(Deltas.channel(patch)).applyMemory());
        FuotaSession.Report full = unicast(blocks[0]);
        FuotaSession.Report viaDelta = unicast(blocks[1]);
        double hour = 3600e6;
        return new Row("14f", "LoRaWAN delta update, fixture pair (64 KiB, 300 byte changes and a 2 KiB insertion), "
                + "unicast at DR5 with a 10% duty cycle, 1 device (simulated)", hour / viaDelta.airtimeMicros(),
                "updates per hour of airtime (delta)", "the full image, same offer and session", hour
                / full.airtimeMicros(), "updates per hour of airtime", 5.0, "≥ 5", false, String.format(Locale.ROOT,
                        "delta block %,d bytes (bsdiff patch %,d) in %d fragments, %.1f s of airtime, session %.0f s; "
                                + "full block %,d bytes in %d fragments, %.1f s of airtime, session %.0f s; the offer "
                                + "(%,d bytes) is in both", blocks[1].length, patch.length, viaDelta.fragmentsSent(),
                        viaDelta.airtimeMicros() / 1e6, seconds(viaDelta), blocks[0].length, full.fragmentsSent(),
                        full.airtimeMicros() / 1e6, seconds(full), blocks[0].length - image.length - 5));
    }

    /**
     * The full block and the delta block of a release of {@code image}, with the offer the platform would make: the
     * signed manifest's release event on a file ledger, its inclusion proof and the signed checkpoint.
     */
    private static byte[][] blocks(byte[] base, byte[] image, byte[] patch, long applyMemory) throws Exception {
        Path dir = Files.createTempDirectory("updraft-row14f");
        try (FileLedger ledger = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "row-14f",
                false)) {
            SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
            Instant now = Instant.now();
            Manifest m = new Manifest("acme", "thermo", null, "2.0.2", 2, image.length, sha256(image), cid(image),
                    null, now, vendor.did());
            byte[] signed = ManifestCodec.sign(m, vendor);
            LedgerEvent event = new LedgerEvent(EventTypes.RELEASE_PUBLISHED, now, vendor.did(),
                    ReleaseEvents.published(ManifestCodec.parse(signed)), null);
            long index = ledger.append(event).index();
            Checkpoint checkpoint = ledger.checkpoint();
            InclusionProof proof = ledger.inclusionProof(index, checkpoint.treeSize());
            Release release = new Release(m.releaseId(), "acme", "thermo", null, "2.0.2", 2, image.length,
                    sha256(image), m.cid(), vendor.did(), now, now, index, signed);
            Delta delta = new Delta("acme/thermo/1", release.id(), sha256(base), sha256(image), BsdiffCodec.ID,
                    cid(patch), patch.length, applyMemory, index + 1);
            byte[] eventBytes = LedgerEventCodec.encode(event);
            // no session statement in either block: it is the same bytes in both (about 200 for a few devices)
            byte[] full = UpdateBlock.encode(UpdateBlock.Payload.IMAGE, UpdateAnswers.encode(new UpdateAnswer.Offer(
                    "r-14f", release, eventBytes, proof, checkpoint, null, new byte[0], null)), new byte[0], image);
            byte[] viaDelta = UpdateBlock.encode(UpdateBlock.Payload.DELTA, UpdateAnswers.encode(new UpdateAnswer.Offer(
                    "r-14f", release, eventBytes, proof, checkpoint, null, new byte[0], delta)), new byte[0], patch);
            return new byte[][] {full, viaDelta};
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** A unicast session of {@code block} to one device at DR5, 10% duty cycle, no loss; checked rebuilt. */
    private static FuotaSession.Report unicast(byte[] block) throws Exception {
        Random random = new Random(17);
        String devEui = "70b3d57ed0000f14";
        SimulatedDevice device = new SimulatedDevice(devEui, sha256(block), Duration.ZERO, 1 << 20, random);
        SessionPlan plan = SessionPlan.unicast(Region.EU868, 5, FREQUENCY).withMaxAttempts(8);
        CountedRefusals refusals = new CountedRefusals(Duration.ofMinutes(1), () -> 0L, (kind, since, total, d) -> {
        });
        FuotaSession session = new FuotaSession(plan, block, List.of(new Participant(devEui, null)),
                new DutyCycleBudget(Region.EU868, 0.01, Map.of("g3", 0.1)), refusals);
        SimulatedNetwork network = new SimulatedNetwork(session, Instant.parse("2026-12-07T00:00:00Z"), random);
        network.add(device, LossModel.none(), LossModel.none());
        if (!network.run(Duration.ofDays(2)) || !device.verified()) {
            throw new IllegalStateException("row 14f: the device did not rebuild the block: " + session.results());
        }
        return session.report();
    }

    private static double seconds(FuotaSession.Report r) {
        return Duration.between(r.started(), r.finished()).toMillis() / 1000.0;
    }

    private static Cid cid(byte[] bytes) throws IOException {
        return MeasuredImage.of(new ByteArrayInputStream(bytes), List.of(CidOptions.DEFAULT)).cids()
                .get(CidOptions.DEFAULT);
    }

    private static byte[] sha256(byte[] bytes) throws IOException {
        return Deltas.sha256(Deltas.channel(bytes));
    }
}
