package org.updraft.transport.lorawan.internal.update;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.updraft.transport.lorawan.internal.update.UpdateBlock.Payload;

/** Both block versions: what a device reads from each, and the headers it refuses. */
class UpdateBlockTest {

    @Test
    void aFullImageIsAVersionOneBlockAsFirmwareBeforeDeltasReadsIt() {
        byte[] block = UpdateBlock.encode(new byte[] {1, 2, 3}, new byte[] {4, 5});
        // the bytes of version 1, unchanged: a device whose firmware predates deltas still reads them
        assertEquals("01000000030102030405", HexFormat.of().formatHex(block));
        UpdateBlock parts = UpdateBlock.decode(block);
        assertEquals(Payload.IMAGE, parts.kind());
        assertArrayEquals(new byte[] {1, 2, 3}, parts.answer());
        assertArrayEquals(new byte[] {4, 5}, parts.payload());
    }

    @Test
    void aDeltaIsAVersionTwoBlockThatSaysItsPayloadIsAPatch() {
        byte[] block = UpdateBlock.encodeDelta(new byte[] {1, 2, 3}, new byte[] {4, 5});
        assertEquals("0201000000030102030405", HexFormat.of().formatHex(block));
        UpdateBlock parts = UpdateBlock.decode(block);
        assertEquals(Payload.DELTA, parts.kind());
        assertArrayEquals(new byte[] {1, 2, 3}, parts.answer());
        assertArrayEquals(new byte[] {4, 5}, parts.payload());
        // a version 2 block may carry an image too
        UpdateBlock image = UpdateBlock.decode(HexFormat.of().parseHex("02000000000107"));
        assertEquals(Payload.IMAGE, image.kind());
        assertArrayEquals(new byte[] {7}, image.answer());
        assertArrayEquals(new byte[0], image.payload());
    }

    @Test
    void headersABlockCannotHoldAreRefused() {
        for (String bad : new String[] {"", "01000000", "0200000000", "020200000000", "02ff00000000", "0300000000",
            "0100000009" + "01", "0201000000090102", "01ffffffff"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> UpdateBlock.decode(HexFormat.of().parseHex(bad)), bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), bad);
        }
    }
}
