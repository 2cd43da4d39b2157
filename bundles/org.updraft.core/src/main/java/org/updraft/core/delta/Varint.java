package org.updraft.core.delta;

import java.io.IOException;

import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;

/** RFC 3284's integers: base 128, most significant digit first, the top bit set on all but the last byte. */
final class Varint {

    private Varint() {
    }

    static long read(PatchRegion in) throws IOException, DeltaException {
        long value = 0;
        for (int i = 0; i < 10; i++) {
            int b = in.readByte();
            if (value > (Long.MAX_VALUE >>> 7)) {
                break;
            }
            value = (value << 7) | (b & 0x7f);
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new DeltaException(Reason.MALFORMED, "vcdiff integer at byte " + in.position() + " is out of range");
    }

    static int length(long value) {
        int n = 1;
        while ((value >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    static void write(ByteSink out, long value) {
        int n = length(value);
        for (int i = n - 1; i >= 0; i--) {
            int digit = (int) (value >>> (7 * i)) & 0x7f;
            out.write(i > 0 ? digit | 0x80 : digit);
        }
    }
}
