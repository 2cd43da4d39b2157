package org.updraft.core.delta;

/**
 * Sorts the suffixes of a byte string, or its cyclic rotations, by prefix doubling with counting sorts:
 * O(n log n) time and four ints per byte, whatever the data (long runs included). Bytes compare unsigned.
 */
final class SuffixSort {

    private SuffixSort() {
    }

    /**
     * The start positions of the suffixes of {@code data[0, n)} in lexicographic order, a suffix ordered before
     * every longer string it is a prefix of.
     */
    static int[] suffixes(byte[] data, int n) {
        return sort(data, n, false);
    }

    /**
     * The start positions of the rotations of {@code data[0, n)} in lexicographic order; identical rotations
     * (a periodic string) in any order.
     */
    static int[] rotations(byte[] data, int n) {
        return sort(data, n, true);
    }

    private static int[] sort(byte[] data, int n, boolean cyclic) {
        int[] sa = new int[n];
        if (n == 0) {
            return sa;
        }
        int[] rank = new int[n];
        int[] tmp = new int[n];
        int[] bucket = new int[Math.max(257, n + 1)];
        // ranks start at 1: 0 is the end of a suffix, smaller than every byte
        for (int i = 0; i < n; i++) {
            rank[i] = (data[i] & 0xff) + 1;
            bucket[rank[i]]++;
        }
        int classes = prefixSums(bucket, 257);
        for (int i = 0; i < n; i++) {
            sa[bucket[rank[i]]++] = i;
        }
        classes = rerank(sa, rank, tmp, n, 0, cyclic, true);
        for (int k = 1; classes < n && (!cyclic || k < n); k <<= 1) {
            // order by the second key (rank at i + k): what has none comes first, the rest as the last pass sorted
            int j = 0;
            if (!cyclic) {
                for (int i = n - k; i < n; i++) {
                    tmp[j++] = i;
                }
            }
            for (int s = 0; s < n; s++) {
                int p = sa[s] - k;
                if (p >= 0) {
                    tmp[j++] = p;
                } else if (cyclic) {
                    tmp[j++] = p + n;
                }
            }
            // then, stably, by the first key
            java.util.Arrays.fill(bucket, 0, classes + 2, 0);
            for (int i = 0; i < n; i++) {
                bucket[rank[i]]++;
            }
            prefixSums(bucket, classes + 2);
            for (int s = 0; s < n; s++) {
                int p = tmp[s];
                sa[bucket[rank[p]]++] = p;
            }
            classes = rerank(sa, rank, tmp, n, k, cyclic, false);
        }
        return sa;
    }

    /** Turns counts into start offsets; returns how many counts were non-zero. */
    private static int prefixSums(int[] bucket, int size) {
        int sum = 0;
        int used = 0;
        for (int i = 0; i < size; i++) {
            int c = bucket[i];
            bucket[i] = sum;
            sum += c;
            if (c != 0) {
                used++;
            }
        }
        return used;
    }

    /**
     * New ranks 1..classes from the order in {@code sa}: equal when both keys (rank at i, rank at i + k) are equal.
     * Written into {@code rank} via {@code tmp}.
     */
    private static int rerank(int[] sa, int[] rank, int[] tmp, int n, int k, boolean cyclic, boolean firstKeyOnly) {
        int r = 1;
        tmp[sa[0]] = 1;
        for (int s = 1; s < n; s++) {
            int a = sa[s - 1];
            int b = sa[s];
            boolean same = rank[a] == rank[b];
            if (same && !firstKeyOnly) {
                same = second(rank, a, k, n, cyclic) == second(rank, b, k, n, cyclic);
            }
            if (!same) {
                r++;
            }
            tmp[b] = r;
        }
        System.arraycopy(tmp, 0, rank, 0, n);
        return r;
    }

    private static int second(int[] rank, int i, int k, int n, boolean cyclic) {
        int j = i + k;
        if (j < n) {
            return rank[j];
        }
        return cyclic ? rank[j - n] : 0;
    }
}
