package org.updraft.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.updraft.transport.lorawan.internal.fec.FragmentDecoder;
import org.updraft.transport.lorawan.internal.fec.FragmentEncoder;
import org.updraft.transport.lorawan.internal.fec.ParityRows;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/**
 * Rows 14a-14d (issue 14): LoRaWAN FUOTA's forward error correction (TS004), on a 100 KiB image cut into fragments
 * of {@value #FRAG_SIZE} bytes (what DR5 carries in EU868 after the fragmentation header).
 *
 * <ul>
 * <li>14a-14c: how many fragments a device had received when its decoder rebuilt the block, against M (the block's
 * uncoded fragments, the least any code needs), at 0 %, 10 % and 30 % random loss, as the mean over many
 * devices. TS004's bound is decoding from close to M fragments: the ratio is the overhead, lower is better here.
 * <li>14d: coded fragments made per second by the encoder (each row drawn by TS004's PRBS23, then the XOR), against
 * a bare XOR of the same rows, drawn beforehand.
 * </ul>
 */
final class LorawanFecRow {

    static final int IMAGE_BYTES = 100 * 1024;
    static final int FRAG_SIZE = 200;
    private static final Ts004Version VERSION = Ts004Version.V2_0_0;

    private LorawanFecRow() {
    }

    static List<Row> run(boolean quick) throws Exception {
        byte[] image = new byte[IMAGE_BYTES];
        new Random(14).nextBytes(image);
        FragmentEncoder encoder = new FragmentEncoder(image, FRAG_SIZE, VERSION);
        int devices = quick ? 3 : 40;
        List<Row> rows = new ArrayList<>();
        String[] ids = {"14a", "14b", "14c"};
        double[] losses = {0, 0.1, 0.3};
        for (int i = 0; i < losses.length; i++) {
            rows.add(neededToDecode(ids[i], encoder, image, losses[i], devices));
        }
        rows.add(encodeThroughput(encoder, quick));
        return rows;
    }

    /**
     * Devices each losing fragments at random with probability {@code loss}, sent 1, 2, 3... until their decoder
     * rebuilds the block (checked against the image): the fragments each had received by then.
     */
    private static Row neededToDecode(String id, FragmentEncoder encoder, byte[] image, double loss, int devices) {
        int m = encoder.nbFrag();
        long received = 0;
        int worst = 0;
        for (int d = 0; d < devices; d++) {
            Random channel = new Random(1000L * d + Math.round(loss * 100));
            FragmentDecoder decoder = new FragmentDecoder(m, FRAG_SIZE, VERSION);
            int counter = 0;
            while (!decoder.complete()) {
                counter++;
                if (counter > encoder.nbFrag() + encoder.maxRedundancy()) {
                    throw new IllegalStateException("row " + id + ": device " + d + " never decoded: "
                            + decoder.status());
                }
                byte[] fragment = encoder.fragment(counter);
                if (channel.nextDouble() >= loss) {
                    decoder.accept(counter, fragment);
                }
            }
            if (!java.util.Arrays.equals(image, decoder.block(encoder.padding()))) {
                throw new IllegalStateException("row " + id + ": device " + d + " rebuilt another block");
            }
            int got = decoder.status().received();
            received += got;
            worst = Math.max(worst, got);
        }
        double mean = (double) received / devices;
        return new Row(id, String.format("LoRaWAN FEC: fragments received to decode, %.0f %% loss (TS004 v2)",
                loss * 100), mean, "fragments", "M, the image's uncoded fragments (" + IMAGE_BYTES / 1024 + " KiB / "
                        + FRAG_SIZE + " B)", m, "fragments", Double.NaN, "— (lower is better: ≈ M)", false,
                String.format("mean of %d devices, worst %d (%.3f M); what the code needs above M is redundant rows"
                        + " among the random ones", devices, worst, (double) worst / m));
    }

    private static Row encodeThroughput(FragmentEncoder encoder, boolean quick) throws Exception {
        int m = encoder.nbFrag();
        int count = quick ? 64 : 512;
        byte[][] uncoded = new byte[m][];
        for (int i = 0; i < m; i++) {
            uncoded[i] = encoder.fragment(i + 1);
        }
        int[][] rows = new int[count][];
        for (int n = 0; n < count; n++) {
            rows[n] = ParityRows.indices(VERSION, n + 1, m);
        }
        double seconds = quick ? 0.2 : 2;
        int[] next = {0};
        byte[] sink = new byte[FRAG_SIZE];
        double[] rates = Rates.interleaved(() -> {
            byte[] coded = encoder.fragment(m + 1 + next[0]++ % count);
            sink[0] ^= coded[0];
            return 1;
        }, () -> {
            byte[] coded = new byte[FRAG_SIZE];
            for (int index : rows[next[0]++ % count]) {
                byte[] from = uncoded[index];
                for (int b = 0; b < FRAG_SIZE; b++) {
                    coded[b] ^= from[b];
                }
            }
            sink[0] ^= coded[0];
            return 1;
        }, quick ? 1 : 5, seconds);
        return new Row("14d", "LoRaWAN FEC encoder, coded fragments of " + FRAG_SIZE + " B (M = " + m + ")", rates[0],
                "fragments/s", "XOR of the same rows, drawn beforehand", rates[1], "fragments/s", Double.NaN, "—",
                false, "the encoder draws each row with TS004's PRBS23 (M/2 draws, v2 rejecting repeats) before its"
                        + " XOR; the reference only XORs");
    }
}
