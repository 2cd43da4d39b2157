package org.updraft.transport.lorawan.internal.update;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.updraft.transport.lorawan.internal.update.UpdateBlock.Payload;

/** The block versions: what a device reads from each, and the headers it refuses. */
class UpdateBlockTest {

    @Test
    void thePlatformWritesVersionThreeWithTheSessionsStatement() {
        byte[] block = UpdateBlock.encode(Payload.DELTA, new byte[] {1, 2, 3}, new byte[] {8, 9}, new byte[] {4, 5});
        assertEquals("030100000003010203" + "00020809" + "0405", HexFormat.of().formatHex(block));
        UpdateBlock parts = UpdateBlock.decode(block);
        assertEquals(Payload.DELTA, parts.kind());
        assertArrayEquals(new byte[] {1, 2, 3}, parts.answer());
        assertArrayEquals(new byte[] {8, 9}, parts.statement());
        assertArrayEquals(new byte[] {4, 5}, parts.payload());
        UpdateBlock image = UpdateBlock.decode(UpdateBlock.encode(Payload.IMAGE, new byte[] {7}, new byte[0],
                new byte[0]));
        assertEquals(Payload.IMAGE, image.kind());
        assertArrayEquals(new byte[] {7}, image.answer());
        assertArrayEquals(new byte[0], image.statement());
        assertArrayEquals(new byte[0], image.payload());
    }

    @Test
    void versionsOneAndTwoAreStillReadWithoutAStatement() {
        UpdateBlock one = UpdateBlock.decode(HexFormat.of().parseHex("01000000030102030405"));
        assertEquals(Payload.IMAGE, one.kind());
        assertArrayEquals(new byte[] {1, 2, 3}, one.answer());
        assertArrayEquals(new byte[0], one.statement());
        assertArrayEquals(new byte[] {4, 5}, one.payload());
        UpdateBlock two = UpdateBlock.decode(HexFormat.of().parseHex("0201000000030102030405"));
        assertEquals(Payload.DELTA, two.kind());
        assertArrayEquals(new byte[] {1, 2, 3}, two.answer());
        assertArrayEquals(new byte[0], two.statement());
        assertArrayEquals(new byte[] {4, 5}, two.payload());
    }

    @Test
    void headersABlockCannotHoldAreRefused() {
        for (String bad : new String[] {"", "01000000", "0200000000", "020200000000", "02ff00000000", "0300000000",
            "0100000009" + "01", "0201000000090102", "01ffffffff", "04000000000000", "030000000000", "03000000000000",
            "0300000000000001", "0300000000ffff00"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> UpdateBlock.decode(HexFormat.of().parseHex(bad)), bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), bad);
        }
    }
}
