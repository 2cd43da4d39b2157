package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The structure read from each fixture is what {@code imgtool dumpinfo -f json} printed for it; truncated,
 * altered and garbage images are refused with a reason, reading only what they announce.
 */
class McubootImageTest {

    @ParameterizedTest
    @ValueSource(strings = {"signed-ed25519", "signed-ed25519-padded", "signed-ed25519-pure", "signed-ecdsa-p256",
        "unsigned-hashonly", "tampered-ed25519", "tampered-sig-ed25519"})
    void readsWhatImgtoolDumpinfoShows(String name) throws Exception {
        String json = Files.readString(McubootFixtures.file("dumpinfo-" + name + ".json"));
        McubootImage image = McubootImage.read(ImageSource.of(McubootFixtures.bytes(name + ".bin")));
        ImageHeader h = image.header();
        assertEquals(Integer.toUnsignedLong(ImageHeader.MAGIC), number(json, "magic"));
        assertEquals(number(json, "load_addr"), h.loadAddress());
        assertEquals(number(json, "hdr_size"), h.headerSize());
        assertEquals(number(json, "protected_tlv_size"), h.protectedTlvSize());
        assertEquals(number(json, "img_size"), h.imageSize());
        assertEquals(number(json, "flags"), h.flags());
        assertEquals(string(json, "version"), h.version().toString());
        int unprotectedAt = json.indexOf("\"tlv_hdr\"");
        assertEquals(tlvs(json.substring(0, unprotectedAt)), describe(image.protectedTlvs()));
        assertEquals(tlvs(json.substring(unprotectedAt)), describe(image.tlvs()));
        String total = json.substring(unprotectedAt).replaceFirst("(?s).*?\"tlv_tot\": (\\d+).*", "$1");
        assertEquals(Integer.parseInt(total), image.tlvAreaSize());
        assertEquals(7, image.securityCounter().getAsLong());
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\": (\\d+)").matcher(json);
        assertTrue(m.find(), field);
        return Long.parseLong(m.group(1));
    }

    private static String string(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\": \"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), field);
        return m.group(1);
    }

    private static List<String> tlvs(String json) {
        Matcher m = Pattern.compile("\"type\": (\\d+),\\s*\"type_name\": \"[^\"]*\",\\s*\"len\": (\\d+),\\s*"
                + "\"data\": \"([0-9a-f]*)\"").matcher(json);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1) + "/" + m.group(2) + "/" + m.group(3));
        }
        return out;
    }

    private static List<String> describe(List<Tlv> tlvs) {
        return tlvs.stream().map(t -> t.type() + "/" + t.length() + "/" + HexFormat.of().formatHex(t.value()))
                .toList();
    }

    @Test
    void everyTruncationIsRefusedWithItsReason() throws Exception {
        byte[] image = McubootFixtures.bytes("signed-ed25519.bin");
        ImageKey key = ImageKey.read(McubootFixtures.file("fx-ed25519.pub.pem"));
        for (int length = 0; length < image.length; length++) {
            byte[] prefix = java.util.Arrays.copyOf(image, length);
            ImageException e = assertThrows(ImageException.class,
                    () -> new ImageVerifier().verify(ImageSource.of(prefix), key), "prefix of " + length + " bytes");
            assertEquals(ImageProblem.TRUNCATED, e.problem(), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void everyBitFlipInTheImageIsRefused() throws Exception {
        byte[] image = McubootFixtures.bytes("signed-ed25519.bin");
        ImageKey key = ImageKey.read(McubootFixtures.file("fx-ed25519.pub.pem"));
        ImageVerifier verifier = new ImageVerifier();
        Random random = new Random(12);
        for (int at = 0; at < image.length; at++) {
            byte[] altered = image.clone();
            altered[at] ^= (byte) (1 << random.nextInt(8));
            int where = at;
            ImageException e = assertThrows(ImageException.class,
                    () -> verifier.verify(ImageSource.of(altered), key), () -> "flip at 0x" + Integer.toHexString(where));
            assertFalse(e.getMessage().isBlank());
        }
    }

    @Test
    void garbageIsNotAnImage() throws Exception {
        byte[] garbage = new byte[4096];
        new Random(1).nextBytes(garbage);
        ImageException e = assertThrows(ImageException.class, () -> McubootImage.read(ImageSource.of(garbage)));
        assertEquals(ImageProblem.BAD_MAGIC, e.problem());
        assertTrue(e.getMessage().startsWith("bad magic 0x"), e.getMessage());

        ImageException fw = assertThrows(ImageException.class,
                () -> McubootImage.read(ImageSource.of(McubootFixtures.bytes("fw.bin"))));
        assertEquals(ImageProblem.BAD_MAGIC, fw.problem());

        byte[] bigEndian = McubootFixtures.bytes("signed-ed25519.bin");
        ByteBuffer.wrap(bigEndian).putInt(ImageHeader.MAGIC);
        assertTrue(assertThrows(ImageException.class, () -> McubootImage.read(ImageSource.of(bigEndian)))
                .getMessage().startsWith("big-endian"));
    }

    /** A header announcing 4 GiB reads nothing beyond the header and the TLV info it points past. */
    @Test
    void aHugeClaimReadsOnlyWhatItMust() throws Exception {
        byte[] image = McubootFixtures.bytes("signed-ed25519.bin");
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 0xffff_fff0);
        CountingSource source = new CountingSource(ImageSource.of(image));
        ImageException e = assertThrows(ImageException.class, () -> new ImageVerifier().verify(source, null));
        assertEquals(ImageProblem.TRUNCATED, e.problem());
        assertTrue(e.getMessage().contains("0x1000001f0"), e.getMessage());
        assertEquals(ImageHeader.SIZE, source.total);
    }

    @Test
    void inconsistentAreasAreRefused() throws Exception {
        byte[] image = McubootFixtures.bytes("signed-ed25519.bin");
        // header says no protected TLVs, but they are there
        byte[] noProt = image.clone();
        noProt[10] = 0;
        noProt[11] = 0;
        assertEquals(ImageProblem.BAD_TLV, assertThrows(ImageException.class,
                () -> McubootImage.read(ImageSource.of(noProt))).problem());
        // protected area total disagrees with the header
        byte[] mismatch = image.clone();
        mismatch[10] = 0x10;
        ImageException e = assertThrows(ImageException.class, () -> McubootImage.read(ImageSource.of(mismatch)));
        assertEquals("protected TLV area of 0xc bytes, but the header says 0x10", e.getMessage());
        // a TLV length running past its area
        byte[] overrun = image.clone();
        int firstTlv = 0xdc4 + 4;
        overrun[firstTlv + 2] = (byte) 0xff;
        e = assertThrows(ImageException.class, () -> McubootImage.read(ImageSource.of(overrun)));
        assertEquals(ImageProblem.BAD_TLV, e.problem());
        assertTrue(e.getMessage().startsWith("SHA256 (0x10) at 0xdc8: its 255 bytes run past"), e.getMessage());
        // header size below 32
        byte[] small = image.clone();
        small[8] = 0x10;
        small[9] = 0;
        assertEquals(ImageProblem.BAD_HEADER, assertThrows(ImageException.class,
                () -> McubootImage.read(ImageSource.of(small))).problem());
    }

    @Test
    void aSecurityCounterOutsideTheProtectedAreaIsRefused() throws Exception {
        // hand-made: header, payload, no protected area, SHA256 and SEC_CNT unprotected
        byte[] payload = McubootFixtures.bytes("fw.bin");
        ImageHeader header = new ImageHeader(0, 0x20, 0, payload.length, 0, ImageVersion.parse("1.0.0"));
        ByteBuffer hashed = ByteBuffer.allocate(0x20 + payload.length).put(header.encode()).put(payload);
        byte[] digest = ImageHash.SHA256.digest(hashed.array());
        byte[] tlvs = Tlv.area(Tlv.INFO_MAGIC, Tlv.entry(Tlv.SHA256, digest), Tlv.entry(Tlv.SEC_CNT, new byte[4]));
        byte[] image = ByteBuffer.allocate(hashed.capacity() + tlvs.length).put(hashed.array()).put(tlvs).array();
        ImageException e = assertThrows(ImageException.class, () -> new ImageVerifier().verify(ImageSource.of(image),
                null));
        assertEquals(ImageProblem.BAD_TLV, e.problem());
        assertTrue(e.getMessage().startsWith("SEC_CNT (0x50) at 0xc00 is outside the protected TLV area"),
                e.getMessage());
    }

    @Test
    void encryptedImagesAreNotChecked() throws Exception {
        byte[] image = McubootFixtures.bytes("signed-ed25519.bin");
        image[16] = (byte) ImageHeader.FLAG_ENCRYPTED_AES128;
        ImageException e = assertThrows(ImageException.class, () -> new ImageVerifier().verify(ImageSource.of(image),
                null));
        assertEquals(ImageProblem.UNSUPPORTED, e.problem());
    }

    /** Records how much is read, and refuses reads larger than the TLV areas can be. */
    static final class CountingSource implements ImageSource {
        final ImageSource source;
        long total;
        int largest;

        CountingSource(ImageSource source) {
            this.source = source;
        }

        @Override
        public long size() throws IOException {
            return source.size();
        }

        @Override
        public void read(long position, byte[] into, int offset, int length) throws IOException {
            total += length;
            largest = Math.max(largest, length);
            source.read(position, into, offset, length);
        }
    }
}
