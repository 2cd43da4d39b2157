package org.updraft.core.unixfs;

/**
 * The few protobuf wire-format pieces dag-pb and UnixFS need, written by hand so the hot path can encode
 * headers around chunk bytes that never move.
 */
final class Protobuf {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private Protobuf() {
    }

    static int tag(int field, int wireType) {
        return (field << 3) | wireType;
    }

    /** Bytes the unsigned varint {@code value} takes. */
    static int varintSize(long value) {
        int size = 1;
        while ((value & ~0x7FL) != 0) {
            value >>>= 7;
            size++;
        }
        return size;
    }

    /** Writes {@code value} as an unsigned varint at {@code pos}; returns the position after it. */
    static int putVarint(byte[] out, int pos, long value) {
        while ((value & ~0x7FL) != 0) {
            out[pos++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[pos++] = (byte) value;
        return pos;
    }

    /** A cursor over an encoded message; every read is bounds-checked and fails with a message naming what broke. */
    static final class Reader {
        private final byte[] bytes;
        private int pos;
        private final int end;

        Reader(byte[] bytes, int offset, int length) {
            this.bytes = bytes;
            this.pos = offset;
            this.end = offset + length;
        }

        boolean hasMore() {
            return pos < end;
        }

        int position() {
            return pos;
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("truncated varint at byte " + pos);
                }
                int b = bytes[pos++] & 0xFF;
                if (shift == 63 && b > 1) {
                    throw new IllegalArgumentException("varint overflows 64 bits at byte " + (pos - 1));
                }
                value |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
        }

        /** Reads a tag; returns {@code field << 3 | wireType}. */
        int tag() {
            long tag = varint();
            if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("invalid protobuf field tag " + tag);
            }
            return (int) tag;
        }

        /** Reads a length prefix and returns the offset of the bytes it announces; the cursor moves past them. */
        int lengthDelimited() {
            long length = varint();
            if (length > end - pos) {
                throw new IllegalArgumentException("field of " + length + " bytes runs past the end of the message");
            }
            int start = pos;
            pos += (int) length;
            return start;
        }

        /** Skips a field of an unknown number. */
        void skip(int wireType) {
            switch (wireType) {
                case VARINT -> varint();
                case FIXED64 -> advance(8);
                case LENGTH_DELIMITED -> lengthDelimited();
                case FIXED32 -> advance(4);
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wireType);
            }
        }

        private void advance(int n) {
            if (n > end - pos) {
                throw new IllegalArgumentException("fixed-size field runs past the end of the message");
            }
            pos += n;
        }
    }
}
