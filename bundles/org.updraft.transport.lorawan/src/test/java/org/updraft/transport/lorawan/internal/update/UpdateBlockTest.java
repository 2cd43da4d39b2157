package org.updraft.transport.lorawan.internal.update;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.updraft.transport.lorawan.internal.update.UpdateBlock.Payload;

/** The block versions: what a device reads from each, and the headers it refuses. */
class UpdateBlockTest {

    @Test
    void thePlatformWritesVersionFourWithTheSessionsStatementAndProofs() {
        byte[] block = UpdateBlock.encode(Payload.IMAGE, new byte[] {1, 2, 3}, new byte[] {8, 9},
                List.of(new byte[] {(byte) 0xa1, 0x10}, new byte[] {0x20}), new byte[] {4, 5});
        assertEquals("040000000003010203" + "00020809" + "02" + "0002a110" + "000120" + "0405",
                HexFormat.of().formatHex(block));
        UpdateBlock parts = UpdateBlock.decode(block);
        assertEquals(4, parts.version());
        assertEquals(Payload.IMAGE, parts.kind());
        assertArrayEquals(new byte[] {1, 2, 3}, parts.answer());
        assertArrayEquals(new byte[] {8, 9}, parts.statement());
        assertEquals(2, parts.proofs().size());
        assertArrayEquals(new byte[] {(byte) 0xa1, 0x10}, parts.proofs().get(0));
        assertArrayEquals(new byte[] {0x20}, parts.proofs().get(1));
        assertArrayEquals(new byte[] {4, 5}, parts.payload());
    }

    @Test
    void versionThreeIsStillReadWithoutProofs() {
        UpdateBlock three = UpdateBlock.decode(HexFormat.of().parseHex("030100000003010203" + "00020809" + "0405"));
        assertEquals(3, three.version());
        assertEquals(Payload.DELTA, three.kind());
        assertArrayEquals(new byte[] {8, 9}, three.statement());
        assertEquals(List.of(), three.proofs());
        assertArrayEquals(new byte[] {4, 5}, three.payload());
    }

    @Test
    void tooManyOrTooLargeProofsAreRefusedClearlyOnBothSides() {
        List<byte[]> nine = new ArrayList<>();
        for (int i = 0; i <= UpdateBlock.MAX_PROOFS; i++) {
            nine.add(new byte[] {(byte) i});
        }
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class,
                () -> UpdateBlock.encode(Payload.IMAGE, new byte[1], new byte[0], nine, new byte[0]));
        assertEquals("9 consistency proofs in one block, at most 8", many.getMessage());
        IllegalArgumentException large = assertThrows(IllegalArgumentException.class, () -> UpdateBlock.encode(
                Payload.IMAGE, new byte[1], new byte[0], List.of(new byte[UpdateBlock.MAX_PROOF_BYTES + 1]),
                new byte[0]));
        assertTrue(large.getMessage().startsWith("a consistency proof of 4097 bytes"), large.getMessage());
        assertThrows(IllegalArgumentException.class, () -> UpdateBlock.encode(Payload.IMAGE, new byte[1],
                new byte[0], List.of(new byte[0]), new byte[0]));

        // a count above the bound, read from a block made by hand
        StringBuilder hand = new StringBuilder("04000000000100000009");
        for (int i = 0; i < 9; i++) {
            hand.append("000100");
        }
        IllegalArgumentException read = assertThrows(IllegalArgumentException.class,
                () -> UpdateBlock.decode(HexFormat.of().parseHex(hand.toString())));
        assertEquals("a block with 9 consistency proofs, at most 8", read.getMessage());
        // a proof longer than the bound, though the block holds it
        byte[] big = UpdateBlock.encode(Payload.IMAGE, new byte[] {0}, new byte[0],
                List.of(new byte[UpdateBlock.MAX_PROOF_BYTES]), new byte[8]);
        big[1 + 1 + 4 + 1 + 2 + 1] = 0x10;
        big[1 + 1 + 4 + 1 + 2 + 2] = 0x01;
        IllegalArgumentException over = assertThrows(IllegalArgumentException.class, () -> UpdateBlock.decode(big));
        assertTrue(over.getMessage().startsWith("consistency proof 1 of 4097 bytes"), over.getMessage());
    }

    @Test
    void aBlockWithoutProofsCountsNone() {
        byte[] block = UpdateBlock.encode(Payload.IMAGE, new byte[] {7}, new byte[0], new byte[0]);
        assertEquals("04000000000107000000", HexFormat.of().formatHex(block));
        UpdateBlock image = UpdateBlock.decode(block);
        assertEquals(Payload.IMAGE, image.kind());
        assertArrayEquals(new byte[] {7}, image.answer());
        assertArrayEquals(new byte[0], image.statement());
        assertEquals(List.of(), image.proofs());
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
            "0100000009" + "01", "0201000000090102", "01ffffffff", "06000000000000", "030000000000", "03000000000000",
            "0300000000000001", "0300000000ffff00", "05000000000000",
            // version 4: no count, a count beyond the proofs, a proof length beyond the block, an empty proof
            "0400000000000000", "040000000000000001", "04000000000000010005aabb", "040000000000000001000000",
            "0400000000000000010001"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> UpdateBlock.decode(HexFormat.of().parseHex(bad)), bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), bad);
        }
    }

    @Test
    void mutatedVersionFourBlocksDecodeToWhatEncodesBackOrAreRefusedWithAMessage() {
        byte[] valid = UpdateBlock.encode(Payload.DELTA, new byte[] {1, 2, 3}, new byte[] {8, 9},
                List.of(new byte[] {(byte) 0xa1, 0x10, 0x11}, new byte[] {0x20}, new byte[] {0x30, 0x31}),
                new byte[] {4, 5, 6});
        Random random = new Random(Long.getLong("updraft.fuzz.seed", 20261207L));
        int decoded = 0;
        for (int i = 0; i < 20_000; i++) {
            int cut = random.nextInt(4) == 0 ? random.nextInt(valid.length + 1) : valid.length;
            byte[] block = java.util.Arrays.copyOf(valid, cut);
            for (int flips = 1 + random.nextInt(2); flips > 0 && block.length > 0; flips--) {
                block[random.nextInt(block.length)] ^= (byte) (1 << random.nextInt(8));
            }
            UpdateBlock parts;
            try {
                parts = UpdateBlock.decode(block);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                continue;
            } catch (RuntimeException e) {
                fail("block " + HexFormat.of().formatHex(block) + " threw " + e, e);
                return;
            }
            decoded++;
            if (parts.version() == UpdateBlock.VERSION) {
                // what a device reads is what the platform would have written: nothing skipped, nothing added
                assertArrayEquals(block, UpdateBlock.encode(parts.kind(), parts.answer(), parts.statement(),
                        parts.proofs(), parts.payload()), HexFormat.of().formatHex(block));
            }
        }
        // worth something only if some of the mutations still decode and so go through the encoder
        assertTrue(decoded > 1000, decoded + " decoded");
    }
}
