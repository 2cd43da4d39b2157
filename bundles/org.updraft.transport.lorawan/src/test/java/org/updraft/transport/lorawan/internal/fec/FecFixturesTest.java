package org.updraft.transport.lorawan.internal.fec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.updraft.core.json.JsonReader;
import org.updraft.transport.lorawan.internal.fec.FragmentDecoder.Outcome;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/**
 * The FEC against {@code ../shared/fixtures/lorawan-fec} (read there, never copied): the parity rows and coded
 * fragments that Semtech's reference code makes (LoRaMac-node for v1.0.0, LoRa Basics Modem for v2.0.0), the
 * known answers other implementations publish, and the reference decoders' results for 222 loss patterns per
 * version, those that cannot be recovered included.
 */
class FecFixturesTest {

    private static final HexFormat HEX = HexFormat.of();
    private static Path fixtures;
    private static final Map<String, byte[]> PAYLOADS = new HashMap<>();

    @BeforeAll
    static void locate() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "repository root not found");
        fixtures = root.resolve("../shared/fixtures/lorawan-fec").normalize();
        assertTrue(Files.isDirectory(fixtures), "LoRaWAN FEC fixtures missing: " + fixtures);
        for (Map<String, Object> p : lines("payloads.jsonl")) {
            PAYLOADS.put(p.get("M") + "/" + p.get("fragSize"), HEX.parseHex((String) p.get("data")));
        }
        assertEquals(15, PAYLOADS.size());
    }

    private static List<Map<String, Object>> lines(String name) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(fixtures.resolve(name))) {
            if (!line.isBlank()) {
                out.add(JsonReader.object(JsonReader.parse(line), name));
            }
        }
        return out;
    }

    private static Map<String, Object> json(String name) throws IOException {
        return JsonReader.object(JsonReader.parse(Files.readString(fixtures.resolve(name))), name);
    }

    private static int integer(Map<String, Object> m, String key) {
        return ((Long) m.get(key)).intValue();
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Object value) {
        return (List<T>) value;
    }

    @Test
    void encodeV1ByteForByte() throws IOException {
        assertEquals(375, encode("encode-v1.jsonl", Ts004Version.V1_0_0));
    }

    @Test
    void encodeV2ByteForByte() throws IOException {
        assertEquals(375, encode("encode-v2.jsonl", Ts004Version.V2_0_0));
    }

    /** Checks every vector of the file; returns the coded fragments checked. */
    private static int encode(String file, Ts004Version version) throws IOException {
        List<Map<String, Object>> vectors = lines(file);
        assertEquals(30, vectors.size());
        int fragments = 0;
        for (Map<String, Object> v : vectors) {
            int m = integer(v, "M");
            int fragSize = integer(v, "fragSize");
            int r = integer(v, "R");
            String label = file + " M=" + m + " fragSize=" + fragSize + " R=" + r;
            FragmentEncoder encoder = new FragmentEncoder(PAYLOADS.get(m + "/" + fragSize), fragSize, version);
            assertEquals(m, encoder.nbFrag(), label);
            assertEquals(0, encoder.padding(), label);
            List<List<Long>> rows = list(v.get("parityRowIndices"));
            List<String> coded = list(v.get("coded"));
            assertEquals(r, coded.size(), label);
            for (int n = 1; n <= r; n++) {
                int[] expected = rows.get(n - 1).stream().mapToInt(Long::intValue).toArray();
                assertArrayEquals(expected, ParityRows.indices(version, n, m), label + " row " + n);
                assertEquals(coded.get(n - 1), HEX.formatHex(encoder.fragment(m + n)), label + " coded " + n);
                fragments++;
            }
            for (int k = 1; k <= m; k++) {
                assertArrayEquals(java.util.Arrays.copyOfRange(PAYLOADS.get(m + "/" + fragSize), (k - 1) * fragSize,
                        k * fragSize), encoder.fragment(k), label + " uncoded " + k);
            }
        }
        return fragments;
    }

    private static byte[] zeroTo99() {
        byte[] data = new byte[100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        return data;
    }

    private static List<String> coded(FragmentEncoder encoder, int r) {
        List<String> out = new ArrayList<>();
        for (int n = 1; n <= r; n++) {
            out.add(HEX.formatHex(encoder.fragment(encoder.nbFrag() + n)));
        }
        return out;
    }

    @Test
    void publishedKnownAnswersV1() throws IOException {
        Map<String, Object> kat = json("kat-v1-data0-99.json");
        assertArrayEquals(zeroTo99(), HEX.parseHex((String) kat.get("data")));
        List<String> ours = coded(new FragmentEncoder(zeroTo99(), 10, Ts004Version.V1_0_0), 10);
        assertEquals(kat.get("coded_reference_LoRaMac_node"), ours);
        assertEquals(kat.get("coded_quoted_brocaar_lorawan_encode_test_go"), ours);
        assertEquals(kat.get("coded_quoted_chirpstack_lrwn_v1_rs"), ours);
        assertEquals("262622222e2e22222626", ours.get(0));
    }

    @Test
    void publishedKnownAnswersV2AreChirpstacksCurrentOnes() throws IOException {
        Map<String, Object> quoted = json("chirpstack-v2-quoted-vectors.json");
        FragmentEncoder encoder = new FragmentEncoder(zeroTo99(), 10, Ts004Version.V2_0_0);
        Map<String, Object> current = JsonReader.object(quoted.get("current"), "current");
        assertEquals(current.get("R10"), coded(encoder, 10));
        assertEquals(current.get("R5"), coded(encoder, 5));
        // the superseded MATLAB-example rows are not TS004 v2.0.0 as devices run it
        Map<String, Object> superseded = JsonReader.object(quoted.get("superseded"), "superseded");
        assertNotEquals(superseded.get("R10"), coded(encoder, 10));
    }

    @Test
    void decodeScenariosV1() throws IOException {
        assertEquals(new Counts(222, 146, 76), decode("decode-v1.jsonl", Ts004Version.V1_0_0));
    }

    @Test
    void decodeScenariosV2() throws IOException {
        assertEquals(new Counts(222, 140, 82), decode("decode-v2.jsonl", Ts004Version.V2_0_0));
    }

    record Counts(int scenarios, int recovered, int failed) {
    }

    /**
     * Delivers each scenario's fragments as the reference harness did (the uncoded ones not dropped in order, then
     * the coded ones), stopping when the block is rebuilt, and compares with the reference's result.
     */
    private static Counts decode(String file, Ts004Version version) throws IOException {
        int scenarios = 0;
        int recovered = 0;
        int failed = 0;
        for (Map<String, Object> s : lines(file)) {
            int m = integer(s, "M");
            int fragSize = integer(s, "fragSize");
            int r = integer(s, "R");
            String label = file + " M=" + m + " fragSize=" + fragSize + " R=" + r + " " + s.get("scenario");
            byte[] payload = PAYLOADS.get(m + "/" + fragSize);
            Set<Integer> dropped = new HashSet<>();
            for (Object d : list(s.get("dropped"))) {
                dropped.add(((Long) d).intValue());
            }
            FragmentEncoder encoder = new FragmentEncoder(payload, fragSize, version);
            FragmentDecoder decoder = new FragmentDecoder(m, fragSize, version);
            int delivered = 0;
            for (int counter = 1; counter <= m + r && !decoder.complete(); counter++) {
                if (dropped.contains(counter)) {
                    continue;
                }
                delivered++;
                Outcome outcome = decoder.accept(counter, encoder.fragment(counter));
                assertEquals(decoder.complete(), outcome == Outcome.COMPLETED, label);
            }
            FragmentDecoder.Status status = decoder.status();
            assertEquals(integer(s, "fragmentsDelivered"), delivered, label);
            assertEquals(s.get("dataRecovered"), decoder.complete(), label);
            assertEquals(integer(s, "droppedUncoded"), status.lostUncoded(), label);
            if (decoder.complete()) {
                recovered++;
                assertEquals(integer(s, "finishedAtCounter"), status.completedAtCounter(), label);
                assertArrayEquals(payload, decoder.block(0), label);
                assertEquals(0, decoder.missing(), label);
                if (version == Ts004Version.V1_0_0) {
                    // LoRaMac-node returns FragNbLost: the uncoded fragments it had to rebuild
                    assertEquals(integer(s, "lastReturn"), status.lostUncoded(), label);
                }
            } else {
                failed++;
                assertNull(s.get("finishedAtCounter"), label);
                // the coded fragments received could not replace every lost one
                assertTrue(decoder.missing() >= 1, label);
                assertTrue(decoder.missing() >= status.lostUncoded() - (delivered - (m - status.lostUncoded())),
                        label);
                assertTrue(status.toString().startsWith("incomplete: " + decoder.missing() + " more fragment"),
                        status.toString());
                String message = assertThrows(IllegalStateException.class, () -> decoder.block(0)).getMessage();
                assertTrue(message.contains(decoder.missing() + " more fragment"), message);
            }
            scenarios++;
        }
        return new Counts(scenarios, recovered, failed);
    }

    @Test
    void aFailedSessionCompletesWithMoreRedundancy() {
        // drop_R_plus_1 never recovers with R coded fragments; more of them repair it
        byte[] payload = PAYLOADS.get("100/48");
        FragmentEncoder encoder = new FragmentEncoder(payload, 48, Ts004Version.V2_0_0);
        FragmentDecoder decoder = new FragmentDecoder(100, 48, Ts004Version.V2_0_0);
        for (int counter = 1; counter <= 100; counter++) {
            if (counter % 10 != 1) {
                decoder.accept(counter, encoder.fragment(counter));
            }
        }
        assertEquals(10, decoder.missing());
        assertFalse(decoder.complete());
        int counter = 101;
        while (!decoder.complete()) {
            decoder.accept(counter, encoder.fragment(counter));
            counter++;
        }
        assertTrue(counter - 101 <= 14, "needed " + (counter - 101) + " coded fragments for 10 lost");
        assertArrayEquals(payload, decoder.block(0));
        assertEquals(Outcome.LATE, decoder.accept(counter, encoder.fragment(counter)));
    }
}
