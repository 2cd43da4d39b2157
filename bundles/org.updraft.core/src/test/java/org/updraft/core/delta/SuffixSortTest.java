package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/** Prefix doubling against the obvious sort, on strings chosen to be hard: tiny alphabets, runs, periods. */
class SuffixSortTest {

    @Test
    void suffixesAreInLexicographicOrderOfUnsignedBytes() {
        Random r = new Random(7);
        for (int round = 0; round < 2000; round++) {
            byte[] data = sample(r, round);
            int[] expected = IntStream.range(0, data.length).boxed()
                    .sorted((a, b) -> Arrays.compareUnsigned(data, a, data.length, data, b, data.length))
                    .mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, SuffixSort.suffixes(data, data.length), () -> Arrays.toString(data));
            assertArrayEquals(expected, SuffixSort.sort(data, data.length, false), () -> Arrays.toString(data));
        }
    }

    @org.junit.jupiter.api.Test
    void inducedSortingAgreesWithPrefixDoublingOnLargeImages() {
        for (byte[] data : new byte[][] {Images.firmware(9, 300_000), Images.random(10, 200_000), new byte[100_000]}) {
            assertArrayEquals(SuffixSort.sort(data, data.length, false), SuffixSort.suffixes(data, data.length));
        }
    }

    @Test
    void rotationsAreInOrderAndEachAppearsOnce() {
        Random r = new Random(8);
        for (int round = 0; round < 400; round++) {
            byte[] data = sample(r, round);
            int n = data.length;
            int[] sorted = SuffixSort.rotations(data, n);
            assertEquals(n, IntStream.of(sorted).distinct().count());
            Comparator<Integer> byRotation = (a, b) -> {
                for (int k = 0; k < n; k++) {
                    int c = Integer.compare(data[(a + k) % n] & 0xff, data[(b + k) % n] & 0xff);
                    if (c != 0) {
                        return c;
                    }
                }
                return 0;
            };
            for (int s = 1; s < n; s++) {
                assertTrue(byRotation.compare(sorted[s - 1], sorted[s]) <= 0, () -> Arrays.toString(data));
            }
        }
    }

    private static byte[] sample(Random r, int round) {
        int n = r.nextInt(200);
        byte[] data = new byte[n];
        switch (round % 4) {
            case 0 -> r.nextBytes(data);
            case 1 -> {
                for (int i = 0; i < n; i++) {
                    data[i] = (byte) (r.nextBoolean() ? 0x80 : 0x7f);
                }
            }
            case 2 -> Arrays.fill(data, (byte) 0xff);
            default -> {
                int period = 1 + r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    data[i] = (byte) (i % period);
                }
            }
        }
        return data;
    }
}
