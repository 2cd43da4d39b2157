package org.updraft.core.delta;

/**
 * RFC 3284's default instruction code table (section 5.6): each opcode is one or two instructions, with their
 * sizes (0: the size follows in the instruction section) and, for COPY, the address mode. xdelta3 and
 * open-vcdiff use it unless a patch carries its own.
 */
final class VcdiffCodeTable {

    static final int NOOP = 0;
    static final int ADD = 1;
    static final int RUN = 2;
    static final int COPY = 3;

    /** Address modes: SELF, HERE, four near slots, three same blocks. */
    static final int MODES = 9;

    static final byte[] TYPE1 = new byte[256];
    static final byte[] SIZE1 = new byte[256];
    static final byte[] MODE1 = new byte[256];
    static final byte[] TYPE2 = new byte[256];
    static final byte[] SIZE2 = new byte[256];
    static final byte[] MODE2 = new byte[256];

    static {
        int op = 0;
        TYPE1[op++] = RUN;
        for (int size = 0; size <= 17; size++, op++) {
            TYPE1[op] = ADD;
            SIZE1[op] = (byte) size;
        }
        for (int mode = 0; mode < MODES; mode++) {
            for (int size = 0; size <= 18; size = size == 0 ? 4 : size + 1, op++) {
                TYPE1[op] = COPY;
                SIZE1[op] = (byte) size;
                MODE1[op] = (byte) mode;
            }
        }
        for (int mode = 0; mode < 6; mode++) {
            for (int add = 1; add <= 4; add++) {
                for (int copy = 4; copy <= 6; copy++, op++) {
                    pair(op, ADD, add, 0, COPY, copy, mode);
                }
            }
        }
        for (int mode = 6; mode < MODES; mode++) {
            for (int add = 1; add <= 4; add++, op++) {
                pair(op, ADD, add, 0, COPY, 4, mode);
            }
        }
        for (int mode = 0; mode < MODES; mode++, op++) {
            pair(op, COPY, 4, mode, ADD, 1, 0);
        }
        if (op != 256) {
            throw new AssertionError("the default code table has " + op + " entries");
        }
    }

    private static void pair(int op, int type1, int size1, int mode1, int type2, int size2, int mode2) {
        TYPE1[op] = (byte) type1;
        SIZE1[op] = (byte) size1;
        MODE1[op] = (byte) mode1;
        TYPE2[op] = (byte) type2;
        SIZE2[op] = (byte) size2;
        MODE2[op] = (byte) mode2;
    }

    private VcdiffCodeTable() {
    }

    /** The opcode of a single ADD: its size in the opcode when 1 to 17, else opcode 1 with the size following. */
    static int add(int size) {
        return size <= 17 ? 1 + size : 1;
    }

    /** The opcode of a single COPY: its size in the opcode when 4 to 18, else with the size following. */
    static int copy(int size, int mode) {
        return 19 + 16 * mode + (size >= 4 && size <= 18 ? size - 3 : 0);
    }

    /** The opcode of ADD then COPY, or -1 when the table has none for these sizes and mode. */
    static int addThenCopy(int addSize, int copySize, int mode) {
        if (addSize < 1 || addSize > 4) {
            return -1;
        }
        if (mode < 6 && copySize >= 4 && copySize <= 6) {
            return 163 + 12 * mode + 3 * (addSize - 1) + (copySize - 4);
        }
        if (mode >= 6 && copySize == 4) {
            return 235 + 4 * (mode - 6) + (addSize - 1);
        }
        return -1;
    }

    /** The opcode of a COPY of 4 bytes then an ADD of 1. */
    static int copyThenAdd(int mode) {
        return 247 + mode;
    }
}
