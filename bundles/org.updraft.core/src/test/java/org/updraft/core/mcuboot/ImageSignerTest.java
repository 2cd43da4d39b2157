package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** Signing reproduces imgtool's fixture images byte for byte (Ed25519, hash-only) or verifiably (ECDSA). */
class ImageSignerTest {

    private static byte[] sign(SignOptions options, String key) throws Exception {
        ImageSigningKey signingKey = key == null ? null : ImageSigningKey.read(McubootFixtures.file(key));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ImageSigner(options, signingKey).sign(ImageSource.of(McubootFixtures.bytes("fw.bin")), out);
        return out.toByteArray();
    }

    @Test
    void ed25519EqualsImgtool() throws Exception {
        assertArrayEquals(McubootFixtures.bytes("signed-ed25519.bin"),
                sign(McubootFixtures.common().build(), "fx-ed25519.pem"));
    }

    @Test
    void paddedEd25519EqualsImgtool() throws Exception {
        assertArrayEquals(McubootFixtures.bytes("signed-ed25519-padded.bin"),
                sign(McubootFixtures.common().pad(true).build(), "fx-ed25519.pem"));
    }

    @Test
    void pureEd25519EqualsImgtool() throws Exception {
        assertArrayEquals(McubootFixtures.bytes("signed-ed25519-pure.bin"),
                sign(McubootFixtures.common().pure(true).build(), "fx-ed25519.pem"));
    }

    @Test
    void hashOnlyEqualsImgtool() throws Exception {
        assertArrayEquals(McubootFixtures.bytes("unsigned-hashonly.bin"), sign(McubootFixtures.common().build(), null));
    }

    @Test
    void ecdsaSignsWhatImgtoolHashesAndVerifies() throws Exception {
        byte[] ours = sign(McubootFixtures.common().build(), "fx-ecdsa-p256.pem");
        byte[] theirs = McubootFixtures.bytes("signed-ecdsa-p256.bin");
        McubootImage image = McubootImage.read(ImageSource.of(ours));
        int hashed = (int) image.hashedSize();
        // header, payload, protected TLVs and the TLVs before the signature are imgtool's; the signature is random there
        assertArrayEquals(Arrays.copyOf(theirs, hashed + 4 + 36 + 36), withTotal(Arrays.copyOf(ours,
                hashed + 4 + 36 + 36), hashed, theirs));
        ImageKey pub = ImageKey.read(McubootFixtures.file("fx-ecdsa-p256.pub.pem"));
        VerifiedImage verified = new ImageVerifier().verify(ImageSource.of(ours), pub);
        assertEquals(McubootFixtures.DIGEST, verified.digestHex());
        assertEquals(Tlv.ECDSASIG, image.tlvs().get(2).type());
    }

    /** The TLV info's total differs with the DER signature's length (70 to 72 bytes): take imgtool's. */
    private static byte[] withTotal(byte[] ours, int tlvInfo, byte[] theirs) {
        byte[] copy = ours.clone();
        copy[tlvInfo + 2] = theirs[tlvInfo + 2];
        copy[tlvInfo + 3] = theirs[tlvInfo + 3];
        return copy;
    }

    @Test
    void refusesAnImageTooLargeForTheSlotBeforeWritingAnything() throws Exception {
        SignOptions options = SignOptions.builder(0x200, ImageVersion.parse("1.2.3"), 0x1000).align(4).padHeader(true)
                .build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageException e = assertThrows(ImageException.class, () -> new ImageSigner(options, null)
                .sign(ImageSource.of(McubootFixtures.bytes("fw.bin")), out));
        assertEquals(ImageProblem.TOO_LARGE, e.problem());
        // 0x200 header + 0xbb8 payload + 0x28 TLVs (SHA256 only); trailer 128*3*4 + 4*8 + 16
        assertEquals("image 0xde0 bytes larger than slot 0x1000 minus trailer 0x630 (room for 0x9d0 bytes)",
                e.getMessage());
        assertEquals(0, out.size());
    }

    @Test
    void withoutPadHeaderTheFirmwareMustStartWithZeroedRoomForTheHeader() throws Exception {
        SignOptions options = SignOptions.builder(0x200, ImageVersion.parse("1.2.3"), 0x20000).build();
        ImageException e = assertThrows(ImageException.class, () -> new ImageSigner(options, null)
                .sign(ImageSource.of(McubootFixtures.bytes("fw.bin")), new ByteArrayOutputStream()));
        assertEquals(ImageProblem.BAD_INPUT, e.problem());
        assertTrue(e.getMessage().contains("--pad-header"), e.getMessage());

        byte[] zeroed = new byte[0x200 + 3000];
        System.arraycopy(McubootFixtures.bytes("fw.bin"), 0, zeroed, 0x200, 3000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ImageSigner(McubootFixtures.common().padHeader(false).build(),
                ImageSigningKey.read(McubootFixtures.file("fx-ed25519.pem"))).sign(ImageSource.of(zeroed), out);
        // imgtool pads the header with erased bytes (0xff), the firmware's own room is zeros: another digest
        McubootImage image = McubootImage.read(ImageSource.of(out.toByteArray()));
        assertEquals(3000, image.header().imageSize());
        assertEquals(0, out.toByteArray()[0x1ff]);
        new ImageVerifier().verify(ImageSource.of(out.toByteArray()),
                ImageKey.read(McubootFixtures.file("fx-ed25519.pub.pem")));

        byte[] tooShort = new byte[0x100];
        e = assertThrows(ImageException.class, () -> new ImageSigner(options, null)
                .sign(ImageSource.of(tooShort), new ByteArrayOutputStream()));
        assertEquals(ImageProblem.BAD_INPUT, e.problem());
    }

    @Test
    void refusesWhatImgtoolRefuses() throws Exception {
        ImageSigningKey ecdsa = ImageSigningKey.read(McubootFixtures.file("fx-ecdsa-p256.pem"));
        ImageSigningKey ed = ImageSigningKey.read(McubootFixtures.file("fx-ed25519.pem"));
        assertThrows(IllegalArgumentException.class, () -> new ImageSigner(McubootFixtures.common().pure(true).build(),
                ecdsa));
        assertThrows(IllegalArgumentException.class, () -> new ImageSigner(McubootFixtures.common().pure(true).build(),
                null));
        assertThrows(IllegalArgumentException.class, () -> new ImageSigner(McubootFixtures.common()
                .hash(ImageHash.SHA512).build(), ecdsa));
        assertThrows(IllegalArgumentException.class, () -> new ImageSigner(McubootFixtures.common()
                .hash(ImageHash.SHA384).build(), ed));
        assertThrows(IllegalArgumentException.class, () -> McubootFixtures.common().pure(true).hash(ImageHash.SHA512)
                .build());
        assertThrows(IllegalArgumentException.class, () -> McubootFixtures.common().loadAddress(0x2000_0000L)
                .romFixed(0x0800_0000L).build());
        assertThrows(IllegalArgumentException.class, () -> McubootFixtures.common().align(3));
        assertThrows(IllegalArgumentException.class, () -> McubootFixtures.common().securityCounter(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> SignOptions.builder(0x1f, ImageVersion.parse("1"), 0));
        assertThrows(IllegalArgumentException.class, () -> SignOptions.builder(0x200, ImageVersion.parse("1"), 0)
                .pad(true).build());
    }
}
