package org.updraft.transport.lorawan.internal.fec;

import java.util.Arrays;

import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/**
 * A data block cut into M fragments of FragSize bytes (the last padded with zeros) and TS004's coded fragments
 * over them. Fragment counters are 1-based: 1..M are the block itself, M+1 on are coded, as many as the session
 * needs up to the 14-bit counter's limit, so a session can send more redundancy to devices that miss fragments.
 */
public final class FragmentEncoder {

    private final Ts004Version version;
    private final int fragSize;
    private final int nbFrag;
    private final int padding;
    private final byte[][] uncoded;

    /**
     * @throws IllegalArgumentException for an empty block, a fragment size outside 1..255, or a block needing more
     *     fragments than TS004's counter can number
     */
    public FragmentEncoder(byte[] block, int fragSize, Ts004Version version) {
        if (block == null || block.length == 0) {
            throw new IllegalArgumentException("the data block is empty: nothing to fragment");
        }
        if (fragSize < 1 || fragSize > 255) {
            throw new IllegalArgumentException("the fragment size must be 1 to 255 bytes (TS004's FragSize), not "
                    + fragSize);
        }
        long m = (block.length + (long) fragSize - 1) / fragSize;
        if (m > Fragmentation.MAX_FRAGMENTS) {
            throw new IllegalArgumentException("a block of " + block.length + " bytes needs " + m + " fragments of "
                    + fragSize + " bytes, more than TS004's " + Fragmentation.MAX_FRAGMENTS);
        }
        this.version = version;
        this.fragSize = fragSize;
        this.nbFrag = (int) m;
        this.padding = (int) (m * fragSize - block.length);
        this.uncoded = new byte[nbFrag][];
        for (int i = 0; i < nbFrag; i++) {
            uncoded[i] = Arrays.copyOfRange(block, i * fragSize, (i + 1) * fragSize);
        }
    }

    public Ts004Version version() {
        return version;
    }

    /** M: the uncoded fragments, TS004's NbFrag. */
    public int nbFrag() {
        return nbFrag;
    }

    public int fragSize() {
        return fragSize;
    }

    /** Zero bytes added to the last fragment, TS004's Padding. */
    public int padding() {
        return padding;
    }

    /** The most coded fragments a session can send after the uncoded ones. */
    public int maxRedundancy() {
        return Fragmentation.MAX_FRAGMENTS - nbFrag;
    }

    /**
     * The fragment sent with {@code counter}: uncoded fragment {@code counter} up to M, then coded fragment
     * {@code counter - M}.
     *
     * @throws IllegalArgumentException for a counter outside 1..16383
     */
    public byte[] fragment(int counter) {
        if (counter < 1 || counter > Fragmentation.MAX_FRAGMENTS) {
            throw new IllegalArgumentException("fragment counters are 1 to " + Fragmentation.MAX_FRAGMENTS + ", not "
                    + counter);
        }
        if (counter <= nbFrag) {
            return uncoded[counter - 1].clone();
        }
        long[] row = ParityRows.row(version, counter - nbFrag, nbFrag);
        byte[] coded = new byte[fragSize];
        for (int i = Bits.next(row, 0); i >= 0; i = Bits.next(row, i + 1)) {
            Bits.xor(coded, uncoded[i]);
        }
        return coded;
    }
}
