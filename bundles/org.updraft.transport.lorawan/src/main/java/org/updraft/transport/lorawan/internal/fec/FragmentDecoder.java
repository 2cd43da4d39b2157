package org.updraft.transport.lorawan.internal.fec;

import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/**
 * What a device does with the fragments of a TS004 session: it keeps each one that tells it something new and
 * rebuilds the block as soon as the fragments it holds determine every uncoded fragment, however they arrived
 * (uncoded or coded, in any order, with duplicates). Each fragment is a row over the M unknown uncoded fragments
 * (an uncoded one a unit row); the rows are kept in echelon form by Gaussian elimination over GF(2), so the block
 * is rebuilt exactly when the rows reach rank M: from the fewest fragments any decoder could use. Until then
 * {@link #missing()} says how many more independent fragments it needs.
 */
public final class FragmentDecoder {

    /** What one fragment did. */
    public enum Outcome {
        /** It told the decoder something new. */
        USED,
        /** It was a duplicate or a combination of fragments already held. */
        REDUNDANT,
        /** It rebuilt the block. */
        COMPLETED,
        /** It came after the block was rebuilt; ignored. */
        LATE
    }

    /** Where a session stands: what a FragSessionStatusAns reports, and more. */
    public record Status(int nbFrag, int received, int redundant, int lostUncoded, int missing,
            int completedAtCounter) {

        public boolean complete() {
            return missing == 0;
        }

        @Override
        public String toString() {
            return complete()
                    ? "complete at fragment " + completedAtCounter + ": " + received + " fragments received for "
                            + nbFrag + " (" + lostUncoded + " uncoded lost and rebuilt, " + redundant + " redundant)"
                    : "incomplete: " + missing + " more fragment" + (missing == 1 ? "" : "s") + " needed to rebuild "
                            + nbFrag + " (" + received + " received, " + lostUncoded + " uncoded not received, "
                            + redundant + " redundant)";
        }
    }

    private final Ts004Version version;
    private final int nbFrag;
    private final int fragSize;
    // pivot[c]: a row whose lowest set bit is c, with its payload; null until one is found
    private final long[][] pivotRows;
    private final byte[][] pivotData;
    private final boolean[] uncodedSeen;
    private int rank;
    private int received;
    private int redundant;
    private int uncodedReceived;
    private int completedAt = -1;
    private byte[][] solved;

    /**
     * @throws IllegalArgumentException for a fragment count outside 1..16383 or a size outside 1..255
     */
    public FragmentDecoder(int nbFrag, int fragSize, Ts004Version version) {
        if (nbFrag < 1 || nbFrag > Fragmentation.MAX_FRAGMENTS) {
            throw new IllegalArgumentException("NbFrag must be 1 to " + Fragmentation.MAX_FRAGMENTS + ", not "
                    + nbFrag);
        }
        if (fragSize < 1 || fragSize > 255) {
            throw new IllegalArgumentException("FragSize must be 1 to 255, not " + fragSize);
        }
        this.version = version;
        this.nbFrag = nbFrag;
        this.fragSize = fragSize;
        this.pivotRows = new long[nbFrag][];
        this.pivotData = new byte[nbFrag][];
        this.uncodedSeen = new boolean[nbFrag];
    }

    /**
     * Takes the fragment sent with {@code counter}.
     *
     * @throws IllegalArgumentException for a counter outside 1..16383 or a payload that is not FragSize bytes;
     *     the decoder is unchanged
     */
    public Outcome accept(int counter, byte[] payload) {
        if (counter < 1 || counter > Fragmentation.MAX_FRAGMENTS) {
            throw new IllegalArgumentException("fragment counters are 1 to " + Fragmentation.MAX_FRAGMENTS
                    + ", not " + counter);
        }
        if (payload == null || payload.length != fragSize) {
            throw new IllegalArgumentException("fragment " + counter + " has " + (payload == null ? 0 : payload.length)
                    + " bytes, the session's fragments have " + fragSize);
        }
        if (solved != null) {
            return Outcome.LATE;
        }
        received++;
        long[] row;
        if (counter <= nbFrag) {
            row = new long[(nbFrag + 63) >>> 6];
            row[(counter - 1) >>> 6] = 1L << (counter - 1);
            if (!uncodedSeen[counter - 1]) {
                uncodedSeen[counter - 1] = true;
                uncodedReceived++;
            }
        } else {
            row = ParityRows.row(version, counter - nbFrag, nbFrag);
        }
        byte[] data = payload.clone();
        // reduce by the pivots from the lowest bit up: a pivot's bits all lie at or above its own column
        for (int c = Bits.next(row, 0); c >= 0; c = Bits.next(row, c + 1)) {
            if (pivotRows[c] == null) {
                pivotRows[c] = row;
                pivotData[c] = data;
                rank++;
                if (rank == nbFrag) {
                    solve();
                    completedAt = counter;
                    return Outcome.COMPLETED;
                }
                return Outcome.USED;
            }
            Bits.xor(row, pivotRows[c]);
            Bits.xor(data, pivotData[c]);
        }
        redundant++;
        return Outcome.REDUNDANT;
    }

    // back substitution, from the last column down: every bit of pivot c above c is an already solved fragment
    private void solve() {
        solved = new byte[nbFrag][];
        for (int c = nbFrag - 1; c >= 0; c--) {
            byte[] data = pivotData[c];
            long[] row = pivotRows[c];
            for (int j = Bits.next(row, c + 1); j >= 0; j = Bits.next(row, j + 1)) {
                Bits.xor(data, solved[j]);
            }
            solved[c] = data;
            pivotRows[c] = null;
            pivotData[c] = null;
        }
    }

    public boolean complete() {
        return solved != null;
    }

    /** How many more independent fragments the block needs; 0 once it is rebuilt. */
    public int missing() {
        return nbFrag - rank;
    }

    public Status status() {
        return new Status(nbFrag, received, redundant, nbFrag - uncodedReceived, missing(), completedAt);
    }

    /**
     * The rebuilt block, less the last {@code padding} bytes.
     *
     * @throws IllegalStateException while fragments are missing, saying how many
     */
    public byte[] block(int padding) {
        if (solved == null) {
            throw new IllegalStateException("the block cannot be rebuilt yet: " + status());
        }
        if (padding < 0 || padding >= fragSize) {
            throw new IllegalArgumentException("padding must be 0 to " + (fragSize - 1) + ", not " + padding);
        }
        byte[] block = new byte[nbFrag * fragSize - padding];
        for (int i = 0; i < nbFrag; i++) {
            System.arraycopy(solved[i], 0, block, i * fragSize, Math.min(fragSize, block.length - i * fragSize));
        }
        return block;
    }
}
