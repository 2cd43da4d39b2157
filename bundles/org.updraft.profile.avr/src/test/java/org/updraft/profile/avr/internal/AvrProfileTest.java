package org.updraft.profile.avr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.testing.Configs;

/**
 * The AVR profile against Debian's srecord, an independent Intel HEX implementation (installed by
 * {@code .ci/setup}): HEX files written by {@code srec_cat} are accepted and our binary is byte for byte
 * {@code srec_cat X.hex -intel -o X.bin -binary}; a record whose checksum {@code srec_info} refuses we refuse too.
 * Where srecord only warns (no end-of-file record, records writing the same byte) we refuse: a device must not
 * guess. Files are written under {@code target/avr-profile-test}.
 */
class AvrProfileTest {

    private Path dir;

    @BeforeEach
    void directory(TestInfo test) throws IOException {
        dir = Files.createDirectories(Path.of("target", "avr-profile-test", test.getTestMethod().orElseThrow()
                .getName() + test.getDisplayName().replaceAll("[^A-Za-z0-9]", "_")));
    }

    /** A profile with one class, meter: an ATmega328P (flash 0x8000, bootloader 0x200, pages of 128). */
    private static AvrProfile profile(Map<String, Object> more) {
        Map<String, Object> config = new HashMap<>(Map.of("device.class", "meter"));
        config.putAll(more);
        AvrProfile profile = new AvrProfile();
        profile.bindClass(new AvrClass(Configs.of(AvrClassConfig.class, config)));
        return profile;
    }

    private static IntelHex.FlashImage flashImage(AvrProfile profile, Path hex) throws Exception {
        try (FileChannel c = FileChannel.open(hex)) {
            return profile.flashImage(new ReleaseFacts("acme", "meter", "avr", "1.0.0", 1, Files.size(hex)), c);
        }
    }

    private static ProfileException refused(AvrProfile profile, Path hex) {
        ProfileException e = assertThrows(ProfileException.class, () -> flashImage(profile, hex));
        assertTrue(e.getMessage().startsWith("avr: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    private Path hex(String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    /** Runs srecord; its exit code and what it printed. */
    private static Result srecord(String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("srecord is not installed (.ci/setup installs it): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "srecord timed out");
        return new Result(p.exitValue(), out);
    }

    private record Result(int exit, String output) {
    }

    /** Our binary of {@code hex} equals srec_cat's. */
    private void assertSameBinaryAsSrecCat(AvrProfile profile, Path hex) throws Exception {
        Path bin = dir.resolve(hex.getFileName() + ".bin");
        Result cat = srecord("srec_cat", hex.toString(), "-intel", "-o", bin.toString(), "-binary");
        assertEquals(0, cat.exit(), cat.output());
        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        flashImage(profile, hex).writeBinary(ours);
        assertArrayEquals(Files.readAllBytes(bin), ours.toByteArray(), hex + ": our binary differs from srec_cat's");
    }

    private Path randomBinary(String name, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }

    @ParameterizedTest(name = "{0} bytes at 0x100, srec_cat record size 16 and 32")
    @ValueSource(ints = { 1, 15, 16, 17, 255, 4096, 0x7D00 })
    void srecCatsHexIsAcceptedAndOurBinaryIsSrecCats(int size) throws Exception {
        Path bin = randomBinary("fw.bin", size, size);
        for (int recordSize : new int[] { 16, 32 }) {
            Path hex = dir.resolve("fw-" + recordSize + ".hex");
            Result made = srecord("srec_cat", bin.toString(), "-binary", "-offset", "0x100", "-o", hex.toString(),
                    "-intel", "-obs=" + recordSize);
            assertEquals(0, made.exit(), made.output());
            assertEquals(0, srecord("srec_info", hex.toString(), "-intel").exit());
            assertSameBinaryAsSrecCat(profile(Map.of()), hex);
        }
    }

    @Test
    void piecesWithGapsUpToTheLastApplicationByteAndAboveSixtyFourKib() throws Exception {
        // three pieces, the last one ending at 0x7dff, the last byte below the bootloader
        Path a = randomBinary("a.bin", 0x300, 1);
        Path b = randomBinary("b.bin", 0x40, 2);
        Path hex = dir.resolve("pieces.hex");
        Result made = srecord("srec_cat", a.toString(), "-binary", b.toString(), "-binary", "-offset", "0x1000",
                b.toString(), "-binary", "-offset", "0x7dc0", "-o", hex.toString(), "-intel");
        assertEquals(0, made.exit(), made.output());
        assertSameBinaryAsSrecCat(profile(Map.of()), hex);
        assertEquals(0x7e00, flashImage(profile(Map.of()), hex).end());

        // an ATmega2560 (256 KiB, 8 KiB bootloader): extended linear address records above 64 KiB
        Path big = randomBinary("big.bin", 0x12000, 3);
        Path hex2560 = dir.resolve("atmega2560.hex");
        made = srecord("srec_cat", big.toString(), "-binary", "-offset", "0x8000", "-o", hex2560.toString(), "-intel");
        assertEquals(0, made.exit(), made.output());
        assertTrue(Files.readString(hex2560).contains(":020000040001F9"), "srec_cat wrote a type 04 record");
        assertSameBinaryAsSrecCat(profile(Map.of("part", "atmega2560", "flash.size", "0x40000", "bootloader.size",
                "0x2000", "page.size", 256)), hex2560);
    }

    @Test
    void segmentAddressesAndStartAddressesAsSrecordReadsThem() throws Exception {
        // 02: base 0x0100 * 16 = 0x1000; 03 and 05 (start addresses) are accepted and ignored
        Path hex = hex("segmented.hex", ":020000020100FB", ":0400000001020304F2", ":0400000300000000F9",
                ":0400000500000000F7", ":00000001FF");
        assertEquals(0, srecord("srec_info", hex.toString(), "-intel").exit());
        assertSameBinaryAsSrecCat(profile(Map.of()), hex);
        assertEquals(0x1004, flashImage(profile(Map.of()), hex).end());
    }

    @ParameterizedTest(name = "checksum broken on line {0}")
    @ValueSource(ints = { 1, 2, 7, 20 })
    void aBadRecordChecksumIsRefusedWhereSrecInfoRefusesIt(int line) throws Exception {
        Path bin = randomBinary("fw.bin", 600, 7);
        Path good = dir.resolve("good.hex");
        assertEquals(0, srecord("srec_cat", bin.toString(), "-binary", "-o", good.toString(), "-intel").exit());
        List<String> lines = new ArrayList<>(Files.readAllLines(good));
        String record = lines.get(line - 1);
        int stored = Integer.parseInt(record.substring(record.length() - 2), 16);
        int wrong = (stored + 0x11) & 0xFF;
        lines.set(line - 1, record.substring(0, record.length() - 2) + String.format("%02X", wrong));
        Path bad = hex("bad.hex", lines.toArray(String[]::new));

        Result info = srecord("srec_info", bad.toString(), "-intel");
        assertNotEquals(0, info.exit(), "srec_info refuses it: " + info.output());
        assertTrue(info.output().contains("checksum mismatch"), info.output());
        ProfileException e = refused(profile(Map.of()), bad);
        assertEquals("bad-checksum", e.reason());
        assertEquals(String.format("avr: line %d: record checksum 0x%02x does not match 0x%02x", line, wrong, stored),
                e.getMessage());

        // a changed data digit: the checksum no longer matches either
        lines.set(line - 1, record.substring(0, 9) + (record.charAt(9) == '0' ? '1' : '0') + record.substring(10));
        Path changed = hex("changed.hex", lines.toArray(String[]::new));
        assertNotEquals(0, srecord("srec_info", changed.toString(), "-intel").exit());
        assertEquals("bad-checksum", refused(profile(Map.of()), changed).reason());
    }

    @Test
    void dataOutsideTheApplicationFlashIsRefused() throws Exception {
        // 16 bytes at 0x7df8: the last 8 of them in the bootloader section (srec_cat cuts records at multiples of
        // 16, so they are line 3's)
        Path bin = randomBinary("fw.bin", 16, 9);
        Path hex = dir.resolve("into-bootloader.hex");
        assertEquals(0, srecord("srec_cat", bin.toString(), "-binary", "-offset", "0x7df8", "-o", hex.toString(),
                "-intel", "-obs=16").exit());
        assertEquals(0, srecord("srec_info", hex.toString(), "-intel").exit(), "srecord knows no part: it accepts");
        ProfileException e = refused(profile(Map.of()), hex);
        assertEquals("outside-application", e.reason());
        assertEquals("avr: line 3: data at 0x7e00-0x7e07 outside application flash 0x0000-0x7dff of atmega328p "
                + "(flash 0x8000, bootloader 0x200)", e.getMessage());
        // the same file fits a part without that bootloader
        flashImage(profile(Map.of("bootloader.size", "0x100")), hex);
        // far above, through an extended linear address
        ProfileException far = refused(profile(Map.of()), hex("far.hex", ":020000040001F9", ":0400000001020304F2",
                ":00000001FF"));
        assertTrue(far.getMessage().startsWith("avr: line 2: data at 0x10000-0x10003 outside"), far.getMessage());
    }

    @Test
    void overlappingRecordsAreRefusedWhereSrecInfoOnlyWarns() throws Exception {
        Path hex = hex("overlap.hex", ":0400000001020304F2", ":0400020001020304F0", ":00000001FF");
        Result info = srecord("srec_info", hex.toString(), "-intel");
        assertEquals(0, info.exit(), info.output());
        ProfileException e = refused(profile(Map.of()), hex);
        assertEquals("overlap", e.reason());
        assertEquals("avr: line 2: data at 0x0002 overlaps an earlier record", e.getMessage());
    }

    @Test
    void malformedFilesAreRefusedSayingWhere() throws Exception {
        String data = ":0400000001020304F2";
        String eof = ":00000001FF";
        Map<String, String[]> cases = new java.util.LinkedHashMap<>();
        cases.put("avr: no end-of-file record (:00000001FF)", new String[] { data });
        cases.put("avr: line 3: data after the end-of-file record", new String[] { data, eof, data });
        cases.put("avr: line 1: record type 0x06 is not one of 00 to 05", new String[] { ":0400000601020304EC", eof });
        cases.put("avr: line 1 does not start with ':'", new String[] { "0400000001020304F2", eof });
        cases.put("avr: line 1: 'G1' is not a hexadecimal byte", new String[] { ":04000000G1020304F2", eof });
        cases.put("avr: line 1: 17 hexadecimal digits are no record", new String[] { ":0400000001020304F", eof });
        cases.put("avr: line 1: byte count 5 but 4 data bytes", new String[] { ":0500000001020304F1", eof });
        cases.put("avr: line 1: a type 0x04 record has 1 data bytes, not 2", new String[] { ":01000004FFFC", eof });
        cases.put("avr: line 1: a type 0x01 record has 1 data bytes, not 0", new String[] { ":01000001FFFF" });
        cases.put("avr: no data records", new String[] { eof });
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            assertEquals(c.getKey(), refused(profile(Map.of()), hex("case.hex", c.getValue())).getMessage());
        }
        // blank lines and CR LF line ends are fine
        flashImage(profile(Map.of()), Files.writeString(dir.resolve("crlf.hex"), "\r\n" + data + "\r\n\r\n" + eof
                + "\r\n"));
        // the record type srec_info refuses is refused by both
        assertNotEquals(0, srecord("srec_info", hex("type6.hex", ":0400000601020304EC", eof).toString(), "-intel")
                .exit());
    }

    @Test
    void garbageTruncationsAndEndlessLinesAreRefusedInBoundedMemory() throws Exception {
        Path bin = randomBinary("fw.bin", 200, 11);
        Path good = dir.resolve("good.hex");
        assertEquals(0, srecord("srec_cat", bin.toString(), "-binary", "-o", good.toString(), "-intel").exit());
        byte[] whole = Files.readAllBytes(good);
        for (int length = 0; length < whole.length - 1; length++) {
            Path cut = Files.write(dir.resolve("cut.hex"), Arrays.copyOf(whole, length));
            refused(profile(Map.of()), cut);
        }
        Random random = new Random(5);
        for (int i = 0; i < 100; i++) {
            byte[] garbage = new byte[random.nextInt(2000)];
            random.nextBytes(garbage);
            refused(profile(Map.of()), Files.write(dir.resolve("garbage.hex"), garbage));
        }
        // 1 MiB without a line end: refused at the first character past the longest record
        byte[] endless = new byte[1 << 20];
        Arrays.fill(endless, (byte) '0');
        endless[0] = ':';
        ProfileException e = refused(profile(Map.of()), Files.write(dir.resolve("endless.hex"), endless));
        assertEquals("avr: line 1 is longer than any record (521 characters)", e.getMessage());
        // 4 MiB cannot describe 0x7e00 bytes of flash: refused before a byte is read
        ProfileException huge = refused(profile(Map.of()), Files.write(dir.resolve("huge.hex"), new byte[4 << 20]));
        assertEquals("too-large", huge.reason());
        assertEquals("avr: HEX file of 0x400000 bytes is larger than any description of application flash "
                + "0x0000-0x7dff of atmega328p (flash 0x8000, bootloader 0x200) (at most 0x1f9000 bytes)",
                huge.getMessage());
    }

    @Test
    void aClassWithoutAUsableConfigurationIsRefusedSayingWhatToConfigure() throws Exception {
        Path hex = hex("fw.hex", ":0400000001020304F2", ":00000001FF");
        ProfileException none = assertThrows(ProfileException.class, () -> {
            try (FileChannel c = FileChannel.open(hex)) {
                profile(Map.of()).check(new ReleaseFacts("acme", "valve", "avr", "1.0.0", 1, Files.size(hex)), c,
                        null);
            }
        });
        assertEquals("no-configuration", none.reason());
        assertEquals("avr: no configuration for device class 'valve': create one with factory PID "
                + "org.updraft.profile.avr (device.class = valve, part, flash.size, bootloader.size, page.size)",
                none.getMessage());
        assertTrue(refused(profile(Map.of("bootloader.size", "0x8000")), hex).getMessage()
                .contains("bootloader.size 0x8000 leaves no application flash in 0x8000"));
        assertTrue(refused(profile(Map.of("page.size", 100)), hex).getMessage()
                .contains("page.size 100 is not a power of two"));
        assertTrue(refused(profile(Map.of("flash.size", "0x2000000")), hex).getMessage()
                .contains("is not 1 byte to 16 MiB"));
        ProfileException size = refused(profile(Map.of("flash.size", "32K")), hex);
        assertEquals("bad-configuration", size.reason());
        assertTrue(size.getMessage().contains("flash.size '32K' is not a number"), size.getMessage());
    }

    @Test
    void limitsAreTheApplicationFlashInPages() {
        assertEquals(Optional.of(new ProfileLimits(0x7e00, 128, 128, List.of(), 0)), profile(Map.of()).limits("meter"));
        assertEquals(Optional.of(new ProfileLimits(0x3e000, 256, 256, List.of("bsdiff"), 4096)),
                profile(Map.of("flash.size", "0x40000", "bootloader.size", "0x2000", "page.size", 256,
                        "block.size", 256, "delta.codecs", new String[] { "bsdiff" }, "delta.memory", 4096L))
                        .limits("meter"));
        assertEquals(Optional.empty(), profile(Map.of()).limits("valve"));
        assertEquals(Set.of("meter"), profile(Map.of()).deviceClasses());
    }
}
