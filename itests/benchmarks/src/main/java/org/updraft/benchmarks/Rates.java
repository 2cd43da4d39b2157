package org.updraft.benchmarks;

import java.util.Arrays;

/** Timed loops with warm-up. Each figure is the median of several rounds, so one noisy second does not decide. */
final class Rates {

    /** Something measured: runs once and returns how many operations it did (usually 1). */
    @FunctionalInterface
    interface Operation {
        long run() throws Exception;
    }

    private Rates() {
    }

    /** Operations per second over {@code seconds}, checking the clock after every call. */
    static double rate(Operation op, double seconds) throws Exception {
        long n = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long now;
        do {
            n += op.run();
            now = System.nanoTime();
        } while (now < end);
        return n / ((now - start) / 1e9);
    }

    /**
     * Medians of {@code rounds} interleaved rounds of a and b (a, b, a, b, ...) after one warm-up round of each,
     * so that both see the same machine: {@code [median a, median b]}.
     */
    static double[] interleaved(Operation a, Operation b, int rounds, double seconds) throws Exception {
        rate(a, seconds);
        rate(b, seconds);
        double[] ra = new double[rounds];
        double[] rb = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            ra[i] = rate(a, seconds);
            rb[i] = rate(b, seconds);
        }
        return new double[] {median(ra), median(rb)};
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
