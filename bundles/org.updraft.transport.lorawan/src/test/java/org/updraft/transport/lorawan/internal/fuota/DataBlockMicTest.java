package org.updraft.transport.lorawan.internal.fuota;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/**
 * TS004 v2.0.0's data block MIC. The known answers were computed with Python's {@code cryptography} package (its own
 * AES and CMAC) from the layout DataBlockMic documents, so they check this code's byte order and framing against an
 * implementation that shares nothing with it.
 */
class DataBlockMicTest {

    private static final byte[] ROOT_KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void knownAnswers() {
        byte[] key = DataBlockMic.dataBlockIntKey(ROOT_KEY);
        assertArrayEquals(HexFormat.of().parseHex("017a8bd9ecd102ba4bb7946d3d8707e0"), key);
        assertEquals(0xb26ad0fbL, DataBlockMic.mic(key, 1, 0, 0x01020304L, data(100)));
        assertEquals(0xa5ce138eL, DataBlockMic.mic(key, 2, 0, 0x01020304L, data(100)));
        assertEquals(0x94bf8806L, DataBlockMic.mic(key, 1, 0, 0x01020304L, new byte[0]));
    }

    @Test
    void everyFieldOfTheSessionChangesTheMic() {
        byte[] key = DataBlockMic.dataBlockIntKey(ROOT_KEY);
        long mic = DataBlockMic.mic(key, 1, 0, 7, data(64));
        assertNotEquals(mic, DataBlockMic.mic(key, 1, 1, 7, data(64)));
        assertNotEquals(mic, DataBlockMic.mic(key, 1, 0, 8, data(64)));
        assertNotEquals(mic, DataBlockMic.mic(key, 1, 0, 7, data(63)));
        byte[] flipped = data(64);
        flipped[40] ^= 1;
        assertNotEquals(mic, DataBlockMic.mic(key, 1, 0, 7, flipped));
        byte[] otherKey = DataBlockMic.dataBlockIntKey(new byte[16]);
        assertNotEquals(mic, DataBlockMic.mic(otherKey, 1, 0, 7, data(64)));
    }

    @Test
    void badFieldsAreRefused() {
        byte[] key = DataBlockMic.dataBlockIntKey(ROOT_KEY);
        assertThrows(IllegalArgumentException.class, () -> DataBlockMic.dataBlockIntKey(new byte[15]));
        assertThrows(IllegalArgumentException.class, () -> DataBlockMic.mic(new byte[8], 1, 0, 0, data(4)));
        assertThrows(IllegalArgumentException.class, () -> DataBlockMic.mic(key, 0x10000, 0, 0, data(4)));
        assertThrows(IllegalArgumentException.class, () -> DataBlockMic.mic(key, 1, 4, 0, data(4)));
        assertThrows(IllegalArgumentException.class, () -> DataBlockMic.mic(key, 1, 0, 1L << 32, data(4)));
    }
}
