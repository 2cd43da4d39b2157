package org.updraft.core.delta;

/**
 * Huffman code lengths limited to a maximum, the way bzip2 makes them: weights carry the subtree depth in their
 * low byte so that ties favour shallow trees, and when a code comes out too long every weight is halved (keeping
 * each at least 1) and the tree is built again.
 */
final class Huffman {

    private Huffman() {
    }

    static byte[] codeLengths(int[] frequency, int alphaSize, int maxLength) {
        byte[] lengths = new byte[alphaSize];
        int[] weight = new int[alphaSize * 2];
        int[] parent = new int[alphaSize * 2];
        int[] heap = new int[alphaSize + 2];
        for (int i = 0; i < alphaSize; i++) {
            weight[i + 1] = (frequency[i] == 0 ? 1 : frequency[i]) << 8;
        }
        while (true) {
            int nodes = alphaSize;
            int size = 0;
            heap[0] = 0;
            weight[0] = 0;
            parent[0] = -2;
            for (int i = 1; i <= alphaSize; i++) {
                parent[i] = -1;
                heap[++size] = i;
                up(heap, weight, size);
            }
            while (size > 1) {
                int a = heap[1];
                heap[1] = heap[size--];
                down(heap, weight, size);
                int b = heap[1];
                heap[1] = heap[size--];
                down(heap, weight, size);
                nodes++;
                parent[a] = nodes;
                parent[b] = nodes;
                weight[nodes] = join(weight[a], weight[b]);
                parent[nodes] = -1;
                heap[++size] = nodes;
                up(heap, weight, size);
            }
            boolean tooLong = false;
            for (int i = 1; i <= alphaSize; i++) {
                int depth = 0;
                for (int k = i; parent[k] >= 0; k = parent[k]) {
                    depth++;
                }
                lengths[i - 1] = (byte) depth;
                if (depth > maxLength) {
                    tooLong = true;
                }
            }
            if (!tooLong) {
                return lengths;
            }
            for (int i = 1; i <= alphaSize; i++) {
                int w = weight[i] >> 8;
                weight[i] = (1 + w / 2) << 8;
            }
        }
    }

    private static int join(int a, int b) {
        int depth = Math.max(a & 0xff, b & 0xff);
        return ((a & 0xffffff00) + (b & 0xffffff00)) | (1 + depth);
    }

    private static void up(int[] heap, int[] weight, int at) {
        int node = heap[at];
        while (weight[node] < weight[heap[at >> 1]]) {
            heap[at] = heap[at >> 1];
            at >>= 1;
        }
        heap[at] = node;
    }

    private static void down(int[] heap, int[] weight, int size) {
        int at = 1;
        int node = heap[at];
        while (true) {
            int child = at << 1;
            if (child > size) {
                break;
            }
            if (child < size && weight[heap[child + 1]] < weight[heap[child]]) {
                child++;
            }
            if (weight[node] < weight[heap[child]]) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = node;
    }
}
