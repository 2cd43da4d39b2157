package org.updraft.core.delta;

import java.io.IOException;

import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;

/**
 * RFC 3284's address cache (section 5.1) with the default sizes, four near and three same blocks: COPY addresses
 * are coded against recent ones. Encoder and decoder update it identically after every COPY; it starts empty in
 * each window.
 */
final class VcdiffAddresses {

    static final int NEAR = 4;
    static final int SAME = 3;

    private final long[] near = new long[NEAR];
    private final long[] same = new long[SAME * 256];
    private int nextSlot;

    void reset() {
        java.util.Arrays.fill(near, 0);
        java.util.Arrays.fill(same, 0);
        nextSlot = 0;
    }

    private void update(long address) {
        near[nextSlot] = address;
        nextSlot = (nextSlot + 1) % NEAR;
        same[(int) (address % (SAME * 256))] = address;
    }

    /** Reads the address of a COPY in {@code mode} at {@code here} (source length plus target position). */
    long decode(long here, int mode, PatchRegion addresses) throws IOException, DeltaException {
        long address;
        if (mode == 0) {
            address = Varint.read(addresses);
        } else if (mode == 1) {
            address = here - Varint.read(addresses);
        } else if (mode < 2 + NEAR) {
            address = near[mode - 2] + Varint.read(addresses);
        } else {
            address = same[(mode - 2 - NEAR) * 256 + addresses.readByte()];
        }
        if (address < 0 || address >= here) {
            throw new DeltaException(Reason.MALFORMED, "vcdiff COPY address " + address + " is not before its "
                    + "position " + here);
        }
        update(address);
        return address;
    }

    /** Writes the cheapest coding of {@code address} at {@code here} and returns its mode. */
    int encode(long address, long here, ByteSink addresses) {
        int mode = 0;
        long value = address;
        int cost = Varint.length(address);
        long back = here - address;
        if (Varint.length(back) < cost) {
            mode = 1;
            value = back;
            cost = Varint.length(back);
        }
        for (int i = 0; i < NEAR; i++) {
            long d = address - near[i];
            if (d >= 0 && Varint.length(d) < cost) {
                mode = 2 + i;
                value = d;
                cost = Varint.length(d);
            }
        }
        int slot = (int) (address % (SAME * 256));
        if (same[slot] == address && cost > 1) {
            mode = 2 + NEAR + slot / 256;
            addresses.write(slot % 256);
        } else {
            Varint.write(addresses, value);
        }
        update(address);
        return mode;
    }
}
