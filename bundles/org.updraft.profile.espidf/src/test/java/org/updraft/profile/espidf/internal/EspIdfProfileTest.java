package org.updraft.profile.espidf.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.core.io.ReadOnlyChannel;
import org.updraft.testing.Configs;

/**
 * The ESP-IDF profile on application images written by {@link EspImageBuilder} from the format's published
 * description (no esptool can be installed here): what ESP-IDF's bootloader would boot on the class's chip is
 * accepted, everything it would refuse, or that does not fit the class, is refused with a reason and a one-line
 * message starting {@code esp-idf: }.
 */
class EspIdfProfileTest {

    /** A profile with one class, sensor: an ESP32 (chip 0) of revision v3.1 with a 1 MiB OTA partition. */
    private static EspIdfProfile profile(Map<String, Object> more) {
        Map<String, Object> config = new HashMap<>(Map.of("device.class", "sensor", "chip.id", 0,
                "chip.revisions", new String[] { "v3.1" }, "partition.size", "0x100000"));
        config.putAll(more);
        EspIdfProfile profile = new EspIdfProfile();
        profile.bindClass(new EspIdfClass(Configs.of(EspIdfClassConfig.class, config)));
        return profile;
    }

    static SeekableByteChannel channel(byte[] image) {
        return new ReadOnlyChannel(image.length) {
            @Override
            protected int readAt(long position, ByteBuffer dst, int length) {
                dst.put(image, (int) position, length);
                return length;
            }
        };
    }

    private static void check(EspIdfProfile profile, byte[] image) throws Exception {
        try (SeekableByteChannel c = channel(image)) {
            profile.check(new ReleaseFacts("acme", "sensor", "esp-idf", "1.0.0", 1, image.length), c, null);
        }
    }

    private static ProfileException refused(EspIdfProfile profile, byte[] image) {
        ProfileException e = assertThrows(ProfileException.class, () -> check(profile, image));
        assertTrue(e.getMessage().startsWith("esp-idf: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    private static ProfileException refused(byte[] image) {
        return refused(profile(Map.of()), image);
    }

    @Test
    void acceptsWhatTheBootloaderWouldBoot() throws Exception {
        check(profile(Map.of()), EspImageBuilder.esp32(0x1000).build());
        check(profile(Map.of()), EspImageBuilder.esp32(0x1000).hashAppended(0).build());
        // lengths that need no padding, and some that need all of it
        for (int size = 4; size <= 64; size += 4) {
            check(profile(Map.of()), EspImageBuilder.esp32(size).build());
        }
        // an ESP32-C3 class, revisions v0.3 and v0.4, images for v0.3 to v0.99
        check(profile(Map.of("chip.id", 5, "chip.revisions", new String[] { "0.3, 0.4" })),
                EspImageBuilder.esp32(0x800).chip(5, 3, 99).build());
    }

    @Test
    void anImageForAnotherChipIsRefusedNamingBoth() throws Exception {
        ProfileException e = refused(EspImageBuilder.esp32(0x100).chip(5, 3, 99).build());
        assertEquals("wrong-chip", e.reason());
        assertEquals("esp-idf: image built for chip id 5 (esp32c3), class expects 0 (esp32)", e.getMessage());
    }

    @Test
    void anImageLargerThanTheOtaPartitionIsRefused() throws Exception {
        byte[] image = EspImageBuilder.esp32(0x8000).build();
        ProfileException e = refused(profile(Map.of("partition.size", "0x10000")), image);
        assertEquals("too-large", e.reason());
        assertEquals("esp-idf: image 0x10050 bytes larger than OTA partition 0x10000", e.getMessage());
        check(profile(Map.of("partition.size", Integer.toString(image.length))), image);
    }

    @Test
    void aWrongChecksumIsRefusedEvenWhenTheDigestCoversIt() throws Exception {
        EspImageBuilder builder = EspImageBuilder.esp32(0x100);
        int wrong = builder.rightChecksum() ^ 0x26;
        ProfileException e = refused(builder.checksum(wrong).build());
        assertEquals("bad-checksum", e.reason());
        assertEquals(String.format("esp-idf: checksum 0x%02x does not match 0x%02x", wrong, builder.rightChecksum()),
                e.getMessage());
        // a flipped data byte: the checksum catches it first
        byte[] flipped = EspImageBuilder.esp32(0x100).build();
        flipped[24 + 8 + 5] ^= 0x40;
        assertEquals("bad-checksum", refused(flipped).reason());
    }

    @Test
    void aWrongAppendedDigestIsRefused() throws Exception {
        ProfileException e = refused(EspImageBuilder.esp32(0x100).corruptDigest().build());
        assertEquals("invalid-hash", e.reason());
        assertTrue(e.getMessage().startsWith("esp-idf: appended SHA-256 "), e.getMessage());
        // the header is covered too: a changed flash byte (valid value) breaks the digest
        byte[] image = EspImageBuilder.esp32(0x100).build();
        image[3] = 0x10;
        assertEquals("invalid-hash", refused(image).reason());
    }

    @Test
    void chipRevisionsOutsideTheImagesRangeAreRefused() throws Exception {
        ProfileException e = refused(EspImageBuilder.esp32(0x100).chip(0, 0, 300).build());
        assertEquals("chip-revision", e.reason());
        assertEquals("esp-idf: image runs on chip revisions v0.0 to v3.0, the class has devices of revision v3.1",
                e.getMessage());
        ProfileException old = refused(profile(Map.of("chip.revisions", new String[] { "v1.0", "v3.1" })),
                EspImageBuilder.esp32(0x100).chip(0, 300, 399).build());
        assertTrue(old.getMessage().endsWith("devices of revision v1.0"), old.getMessage());
    }

    @Test
    void brokenHeadersAreRefusedWithWhatIsWrong() throws Exception {
        byte[] notEsp = EspImageBuilder.esp32(0x100).build();
        notEsp[0] = 0x7F;
        assertEquals("esp-idf: magic 0x7f is not an ESP-IDF image's 0xe9", refused(notEsp).getMessage());
        assertEquals("esp-idf: segment count 0 is not 1 to 16",
                refused(EspImageBuilder.esp32(0x100).segmentCount(0).build()).getMessage());
        assertEquals("esp-idf: segment count 17 is not 1 to 16",
                refused(EspImageBuilder.esp32(0x100).segmentCount(17).build()).getMessage());
        assertEquals("esp-idf: SPI mode 6 is not one of 0 to 5 (QIO to SLOW_READ)",
                refused(EspImageBuilder.esp32(0x100).spiMode(6).build()).getMessage());
        assertTrue(refused(EspImageBuilder.esp32(0x100).flash(0x83).build()).getMessage()
                .startsWith("esp-idf: SPI flash byte 0x83 names no flash size"));
        assertEquals("esp-idf: hash appended flag 2 is neither 0 nor 1",
                refused(EspImageBuilder.esp32(0x100).hashAppended(2).build()).getMessage());
        assertEquals("esp-idf: entry point 0x50000000 is in none of the 2 segments",
                refused(EspImageBuilder.esp32(0x100).entryPoint(0x50000000L).build()).getMessage());
        // a header that claims more segments than there are reads padding, checksum and digest as a segment
        assertTrue(List.of("truncated", "bad-segment").contains(
                refused(EspImageBuilder.esp32(0x100).segmentCount(3).build()).reason()));
    }

    @Test
    void segmentsMustNotOverlapNorHaveOddLengths() throws Exception {
        ProfileException overlap = refused(new EspImageBuilder().segment(0x40080000L, new byte[0x100])
                .segment(0x400800F0L, new byte[0x20]).build());
        assertEquals("bad-segment", overlap.reason());
        assertEquals("esp-idf: segment 1 (0x400800f0, 0x20 bytes) overlaps segment 0 (0x40080000, 0x100 bytes)",
                overlap.getMessage());
        // empty segments at one address do not overlap (ESP-IDF writes such RTC segments), nor do esptool's padding
        // segments, all loaded at 0
        check(profile(Map.of()), new EspImageBuilder().segment(0x3ff80000L, new byte[0])
                .segment(0x3ff80000L, new byte[0]).segment(0, new byte[0x20]).segment(0x3f400020L, new byte[0x40])
                .segment(0, new byte[0x10]).segment(0x40080000L, new byte[0x40]).build());
        assertEquals("esp-idf: segment 0: length 0x3 is not a multiple of 4 below 16 MiB",
                refused(new EspImageBuilder().segment(0x40080000L, new byte[3]).build()).getMessage());
    }

    @Test
    void everyTruncationAndTrailingDataIsRefusedAndGarbageToo() throws Exception {
        byte[] image = EspImageBuilder.esp32(0x40).build();
        for (int length = 0; length < image.length; length++) {
            byte[] cut = Arrays.copyOf(image, length);
            ProfileException e = refused(cut);
            assertTrue(List.of("truncated", "invalid-hash", "bad-checksum").contains(e.reason()),
                    length + ": " + e.getMessage());
        }
        byte[] longer = Arrays.copyOf(image, image.length + 16);
        ProfileException trailing = refused(longer);
        assertEquals("trailing-data", trailing.reason());
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            byte[] garbage = new byte[random.nextInt(4096)];
            random.nextBytes(garbage);
            garbage[0] = (byte) (i % 2 == 0 ? 0xE9 : garbage[0]);
            refused(garbage);
        }
    }

    @Test
    void aHugeClaimedSegmentIsRefusedWithoutReadingIt() throws Exception {
        // a 1 MiB image whose second segment claims 0xfffffc bytes: refused from the header, nothing allocated
        byte[] head = EspImageBuilder.esp32(0x10).build();
        ByteBuffer.wrap(head, 24 + 8 + 0x10 + 4, 4).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0xFFFFFC);
        byte[] image = Arrays.copyOf(head, 1 << 20);
        ProfileException e = refused(image);
        assertEquals("truncated", e.reason());
        assertEquals("esp-idf: segment 1: 0xfffffc bytes at 0x38 run past the image's end 0x100000", e.getMessage());
    }

    @Test
    void aClassWithoutAUsableConfigurationIsRefusedSayingWhatToConfigure() throws Exception {
        byte[] image = EspImageBuilder.esp32(0x100).build();
        ProfileException none = assertThrows(ProfileException.class, () -> {
            try (SeekableByteChannel c = channel(image)) {
                profile(Map.of()).check(new ReleaseFacts("acme", "camera", "esp-idf", "1.0.0", 1, image.length), c,
                        null);
            }
        });
        assertEquals("no-configuration", none.reason());
        assertEquals("esp-idf: no configuration for device class 'camera': create one with factory PID "
                + "org.updraft.profile.espidf (device.class = camera, chip.id, chip.revisions, partition.size)",
                none.getMessage());
        assertTrue(refused(profile(Map.of("chip.id", -1)), image).getMessage()
                .contains("chip.id -1 is not a chip id"));
        assertTrue(refused(profile(Map.of("chip.revisions", new String[] {})), image).getMessage()
                .contains("no chip.revisions are configured"));
        assertTrue(refused(profile(Map.of("chip.revisions", new String[] { "three" })), image).getMessage()
                .contains("chip revision 'three' is not MAJOR.MINOR"));
        ProfileException size = refused(profile(Map.of("partition.size", "1M")), image);
        assertEquals("bad-configuration", size.reason());
        assertTrue(size.getMessage().contains("partition.size '1M' is not a number"), size.getMessage());
    }

    @Test
    void limitsAreTheClasssConfiguration() {
        EspIdfProfile profile = profile(Map.of("partition.size", "0x1e0000", "write.align", 16, "block.size", 4096,
                "delta.codecs", new String[] { "bsdiff" }, "delta.memory", 65536L));
        assertEquals(Optional.of(new ProfileLimits(0x1e0000, 16, 4096, List.of("bsdiff"), 65536)),
                profile.limits("sensor"));
        assertEquals(Optional.empty(), profile.limits("camera"));
        assertEquals(Set.of("sensor"), profile.deviceClasses());
        // a class whose configuration cannot be used is listed, without limits
        EspIdfProfile unusable = profile(Map.of("chip.id", -1));
        assertEquals(Set.of("sensor"), unusable.deviceClasses());
        assertEquals(Optional.empty(), unusable.limits("sensor"));
    }

    @Test
    void aRemovedConfigurationRemovesItsClass() throws Exception {
        EspIdfProfile profile = new EspIdfProfile();
        EspIdfClass sensor = new EspIdfClass(Configs.of(EspIdfClassConfig.class, Map.of("device.class", "sensor",
                "chip.id", 0, "chip.revisions", new String[] { "3.1" })));
        profile.bindClass(sensor);
        check(profile, EspImageBuilder.esp32(0x100).build());
        profile.unbindClass(sensor);
        assertEquals("no-configuration", refused(profile, EspImageBuilder.esp32(0x100).build()).reason());
    }

    /** Reads fail as a store that went away fails: the check cannot run, which is not a refusal of the image. */
    @Test
    void aFailingReadIsAnIoExceptionNotARefusal() {
        byte[] image = new byte[0x1000];
        image[0] = (byte) 0xE9;
        SeekableByteChannel failing = new ReadOnlyChannel(image.length) {
            @Override
            protected int readAt(long position, ByteBuffer dst, int length) throws IOException {
                throw new IOException("store unreachable");
            }
        };
        assertThrows(IOException.class, () -> profile(Map.of()).check(new ReleaseFacts("acme", "sensor", "esp-idf",
                "1.0.0", 1, image.length), failing, null));
    }
}
