package org.updraft.transport.lorawan.internal.fec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.updraft.transport.lorawan.internal.fec.FragmentDecoder.Outcome;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/** The decoder beyond the reference's delivery order: any order, padding, duplicates, bad fragments. */
class FragmentDecoderTest {

    @Test
    void rebuildsFromFragmentsInAnyOrder() {
        Random random = new Random(20261207L);
        for (Ts004Version version : Ts004Version.values()) {
            for (int trial = 0; trial < 60; trial++) {
                int fragSize = 1 + random.nextInt(60);
                byte[] block = new byte[1 + random.nextInt(200 * fragSize)];
                random.nextBytes(block);
                FragmentEncoder encoder = new FragmentEncoder(block, fragSize, version);
                int m = encoder.nbFrag();
                List<Integer> counters = new ArrayList<>();
                for (int c = 1; c <= 2 * m + 20; c++) {
                    // 30% loss, coded fragments included
                    if (random.nextInt(10) >= 3) {
                        counters.add(c);
                    }
                }
                Collections.shuffle(counters, random);
                FragmentDecoder decoder = new FragmentDecoder(m, fragSize, version);
                int missingBefore = decoder.missing();
                assertEquals(m, missingBefore);
                int used = 0;
                for (int c : counters) {
                    Outcome outcome = decoder.accept(c, encoder.fragment(c));
                    assertTrue(decoder.missing() == missingBefore - (outcome == Outcome.REDUNDANT
                            || outcome == Outcome.LATE ? 0 : 1), "each useful fragment lowers missing by one");
                    missingBefore = decoder.missing();
                    if (outcome == Outcome.COMPLETED) {
                        used++;
                        break;
                    }
                    if (outcome == Outcome.USED) {
                        used++;
                    }
                }
                String label = version + " M=" + m + " fragSize=" + fragSize + " size=" + block.length;
                assertTrue(decoder.complete(), label + ": " + decoder.status());
                assertEquals(m, used, label);
                assertArrayEquals(block, decoder.block(encoder.padding()), label);
            }
        }
    }

    @Test
    void duplicatesAndLateFragmentsChangeNothing() {
        byte[] block = new byte[95];
        new Random(1).nextBytes(block);
        FragmentEncoder encoder = new FragmentEncoder(block, 10, Ts004Version.V1_0_0);
        assertEquals(10, encoder.nbFrag());
        assertEquals(5, encoder.padding());
        FragmentDecoder decoder = new FragmentDecoder(10, 10, Ts004Version.V1_0_0);
        assertEquals(Outcome.USED, decoder.accept(1, encoder.fragment(1)));
        assertEquals(Outcome.REDUNDANT, decoder.accept(1, encoder.fragment(1)));
        for (int c = 2; c < 10; c++) {
            decoder.accept(c, encoder.fragment(c));
        }
        assertEquals(1, decoder.missing());
        assertEquals("incomplete: 1 more fragment needed to rebuild 10 (10 received, 1 uncoded not received, 1 "
                + "redundant)", decoder.status().toString());
        int c = 11;
        while (decoder.accept(c, encoder.fragment(c)) != Outcome.COMPLETED) {
            c++;
        }
        assertEquals(Outcome.LATE, decoder.accept(10, encoder.fragment(10)));
        assertArrayEquals(block, decoder.block(5));
        assertTrue(decoder.status().toString().startsWith("complete at fragment " + c + ": "));
    }

    @Test
    void badFragmentsAreRefusedAndChangeNothing() {
        FragmentDecoder decoder = new FragmentDecoder(10, 10, Ts004Version.V2_0_0);
        assertEquals("fragment 3 has 9 bytes, the session's fragments have 10",
                assertThrows(IllegalArgumentException.class, () -> decoder.accept(3, new byte[9])).getMessage());
        assertThrows(IllegalArgumentException.class, () -> decoder.accept(0, new byte[10]));
        assertThrows(IllegalArgumentException.class, () -> decoder.accept(16384, new byte[10]));
        assertThrows(IllegalArgumentException.class, () -> decoder.accept(1, null));
        assertEquals(0, decoder.status().received());
        assertEquals(10, decoder.missing());
        assertFalse(decoder.complete());
        assertThrows(IllegalArgumentException.class, () -> new FragmentDecoder(0, 10, Ts004Version.V1_0_0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentDecoder(10, 256, Ts004Version.V1_0_0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentEncoder(new byte[0], 10, Ts004Version.V1_0_0));
        assertThrows(IllegalArgumentException.class, () -> new FragmentEncoder(new byte[16384], 1, Ts004Version.V1_0_0));
        assertThrows(IllegalArgumentException.class,
                () -> new FragmentEncoder(new byte[10], 10, Ts004Version.V1_0_0).fragment(16384));
    }

    @Test
    void v2RowsHoldHalfTheFragmentsAndV1RowsAtMostThat() {
        for (int m : new int[] {2, 3, 16, 17, 64, 100, 255, 1000}) {
            for (int n = 1; n <= 50; n++) {
                assertEquals(m / 2, ParityRows.indices(Ts004Version.V2_0_0, n, m).length, "M=" + m + " n=" + n);
                int v1 = ParityRows.indices(Ts004Version.V1_0_0, n, m).length;
                assertTrue(v1 >= 1 && v1 <= m / 2, "M=" + m + " n=" + n);
            }
        }
    }
}
