package org.updraft.core.delta;

import java.util.Arrays;

/**
 * Sorts the suffixes of a byte string (by induced sorting: linear time, about nine bytes per byte), or its cyclic
 * rotations (by prefix doubling with counting sorts: O(n log n), four ints per byte), whatever the data, long runs
 * included. Bytes compare unsigned.
 */
final class SuffixSort {

    private SuffixSort() {
    }

    /**
     * The start positions of the suffixes of {@code data[0, n)} in lexicographic order, a suffix ordered before
     * every longer string it is a prefix of.
     */
    static int[] suffixes(byte[] data, int n) {
        int[] text = new int[n];
        for (int i = 0; i < n; i++) {
            text[i] = data[i] & 0xff;
        }
        int[] sa = new int[n];
        induced(text, sa, n, 256);
        return sa;
    }

    /**
     * SA-IS (Nong, Zhang and Chan, 2009): linear time, so a base with long runs (0xFF padding) costs no more than
     * any other. {@code text} holds symbols below {@code k}; the end of the text is a virtual sentinel, smaller
     * than every symbol.
     */
    private static void induced(int[] text, int[] sa, int n, int k) {
        if (n == 0) {
            return;
        }
        if (n == 1) {
            sa[0] = 0;
            return;
        }
        // S-type: smaller than the suffix after it; the last is L-type, the sentinel being smaller still
        boolean[] small = new boolean[n];
        for (int i = n - 2; i >= 0; i--) {
            small[i] = text[i] < text[i + 1] || text[i] == text[i + 1] && small[i + 1];
        }
        int[] bucket = new int[k];
        // 1. sort the LMS substrings: LMS positions at their buckets' ends, then induce
        Arrays.fill(sa, -1);
        ends(text, n, k, bucket);
        for (int i = n - 1; i >= 1; i--) {
            if (lms(small, i)) {
                sa[--bucket[text[i]]] = i;
            }
        }
        induce(text, sa, n, k, small, bucket);
        // 2. name them in that order; equal substrings get equal names
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (lms(small, sa[i])) {
                sa[count++] = sa[i];
            }
        }
        Arrays.fill(sa, count, n, -1);
        int names = 0;
        int previous = -1;
        for (int i = 0; i < count; i++) {
            int p = sa[i];
            if (previous < 0 || !sameLms(text, small, n, p, previous)) {
                names++;
                previous = p;
            }
            // LMS positions are at least two apart: p / 2 keeps them apart in the upper half
            sa[count + (p >> 1)] = names - 1;
        }
        int[] reduced = new int[count];
        for (int i = n - 1, j = count - 1; i >= count; i--) {
            if (sa[i] >= 0) {
                reduced[j--] = sa[i];
            }
        }
        // 3. sort the LMS suffixes: by recursion unless every name is unique
        int[] order = new int[count];
        if (names < count) {
            induced(reduced, order, count, names);
        } else {
            for (int i = 0; i < count; i++) {
                order[reduced[i]] = i;
            }
        }
        for (int i = 1, j = 0; i < n; i++) {
            if (lms(small, i)) {
                reduced[j++] = i;
            }
        }
        // 4. from the sorted LMS suffixes, induce every suffix's place
        Arrays.fill(sa, -1);
        ends(text, n, k, bucket);
        for (int i = count - 1; i >= 0; i--) {
            int p = reduced[order[i]];
            sa[--bucket[text[p]]] = p;
        }
        induce(text, sa, n, k, small, bucket);
    }

    private static boolean lms(boolean[] small, int i) {
        return i > 0 && small[i] && !small[i - 1];
    }

    private static void ends(int[] text, int n, int k, int[] bucket) {
        Arrays.fill(bucket, 0);
        for (int i = 0; i < n; i++) {
            bucket[text[i]]++;
        }
        int sum = 0;
        for (int c = 0; c < k; c++) {
            sum += bucket[c];
            bucket[c] = sum;
        }
    }

    private static void starts(int[] text, int n, int k, int[] bucket) {
        Arrays.fill(bucket, 0);
        for (int i = 0; i < n; i++) {
            bucket[text[i]]++;
        }
        int sum = 0;
        for (int c = 0; c < k; c++) {
            int size = bucket[c];
            bucket[c] = sum;
            sum += size;
        }
    }

    /** L-type suffixes left to right from what is placed, then S-type right to left. */
    private static void induce(int[] text, int[] sa, int n, int k, boolean[] small, int[] bucket) {
        starts(text, n, k, bucket);
        // the sentinel's suffix comes first; the one before it is L-type
        sa[bucket[text[n - 1]]++] = n - 1;
        for (int i = 0; i < n; i++) {
            int j = sa[i] - 1;
            if (j >= 0 && !small[j]) {
                sa[bucket[text[j]]++] = j;
            }
        }
        ends(text, n, k, bucket);
        for (int i = n - 1; i >= 0; i--) {
            int j = sa[i] - 1;
            if (j >= 0 && small[j]) {
                sa[--bucket[text[j]]] = j;
            }
        }
    }

    /** Whether the LMS substrings at {@code a} and {@code b} (up to and including the next LMS position) are equal. */
    private static boolean sameLms(int[] text, boolean[] small, int n, int a, int b) {
        for (int d = 0;; d++) {
            if (a + d == n || b + d == n || text[a + d] != text[b + d] || small[a + d] != small[b + d]) {
                return false;
            }
            if (d > 0 && (lms(small, a + d) || lms(small, b + d))) {
                return lms(small, a + d) && lms(small, b + d);
            }
        }
    }

    /**
     * The start positions of the rotations of {@code data[0, n)} in lexicographic order; identical rotations
     * (a periodic string) in any order.
     */
    static int[] rotations(byte[] data, int n) {
        return sort(data, n, true);
    }

    /** Prefix doubling; kept for suffixes too, as the reference the tests compare induced sorting with. */
    static int[] sort(byte[] data, int n, boolean cyclic) {
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
            Arrays.fill(bucket, 0, classes + 2, 0);
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
