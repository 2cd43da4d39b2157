package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;
import org.updraft.api.delta.PatchInfo;

/**
 * VCDIFF both ways against Debian's xdelta3 3.0.11, in the subset both implement: xdelta3 without secondary
 * compression ({@code -S none}), with or without its application header ({@code -A}) and window checksums
 * ({@code -n}), one window or many; ours with or without checksums, one window or many.
 */
class VcdiffCodecTest {

    private final VcdiffCodec codec = new VcdiffCodec();
    private final VcdiffCodec withoutChecksum = new VcdiffCodec(false);

    @Test
    void xdelta3sFixturePatchAppliesAndOursAppliesWithXdelta3() throws Exception {
        Path fixtures = Work.fixtures();
        Path old = fixtures.resolve("old.bin");
        Path next = fixtures.resolve("new.bin");
        String expected = Fixtures.sha256Of(fixtures, "new.bin");
        long size = Files.size(next);

        assertEquals(expected, Work.sha256(Work.apply(codec, old, fixtures.resolve("new.xdelta3"), size)),
                "xdelta3's new.xdelta3 applied by ours");

        Path dir = Work.directory("vcdiff-fixture");
        for (VcdiffCodec c : List.of(codec, withoutChecksum)) {
            Path ours = dir.resolve("ours.vcdiff");
            Work.create(c, old, next, ours);
            Path rebuilt = dir.resolve("rebuilt.bin");
            DebianTool.xdelta3Decode(dir, old, ours, rebuilt);
            assertEquals(expected, Work.sha256(Files.readAllBytes(rebuilt)), "our patch applied by xdelta3 -d");
            if (c == withoutChecksum) {
                // the fixture was made with -S none -A -n: no checksum, as this one
                long theirs = Files.size(fixtures.resolve("new.xdelta3"));
                System.out.printf("vcdiff fixture: ours %d bytes, xdelta3 -S none -A -n %d bytes, ratio %.3f%n",
                        Files.size(ours), theirs, (double) Files.size(ours) / theirs);
                assertTrue(Files.size(ours) <= theirs, "ours " + Files.size(ours) + " bytes, xdelta3's " + theirs);
            }
        }
    }

    static List<Images.Pair> pairs() throws Exception {
        return Images.pairs();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void interoperatesWithXdelta3BothWays(Images.Pair pair) throws Exception {
        Path dir = Work.directory("vcdiff-pair");
        Path old = dir.resolve("old.bin");
        Path next = dir.resolve("new.bin");
        Files.write(old, pair.old());
        Files.write(next, pair.next());
        int size = pair.next().length;

        // theirs, ours: every flag combination of the common subset, and many small windows
        String[][] flagSets = {{"-S", "none", "-A", "-n"}, {"-S", "none"}, {"-S", "none", "-W", "16384"}};
        long theirsPlain = 0;
        for (String[] flags : flagSets) {
            Path theirs = dir.resolve("theirs.vcdiff");
            DebianTool.xdelta3Encode(dir, old, next, theirs, flags);
            assertArrayEquals(pair.next(), Work.apply(codec, old, theirs, size), "xdelta3 " + String.join(" ",
                    flags) + ", ours");
            if (flags == flagSets[0]) {
                theirsPlain = Files.size(theirs);
            }
        }

        // ours, theirs: with and without checksums, one window and windows of 4 KiB (the smallest budget)
        Path ours = dir.resolve("ours.vcdiff");
        Path rebuilt = dir.resolve("rebuilt.bin");
        for (VcdiffCodec c : List.of(codec, withoutChecksum)) {
            for (long budget : new long[] {Long.MAX_VALUE, c.minimumApplyMemory()}) {
                byte[] patch = Work.create(c, pair.old(), pair.next(), budget);
                Files.write(ours, patch);
                DebianTool.xdelta3Decode(dir, old, ours, rebuilt);
                assertArrayEquals(pair.next(), Files.readAllBytes(rebuilt), "our patch, xdelta3 -d");
                assertArrayEquals(pair.next(), Work.apply(codec, pair.old(), patch, size), "our patch, ours");
                PatchInfo info = codec.inspect(Deltas.channel(patch));
                assertEquals(size, info.targetSize());
                assertTrue(info.applyMemory() <= budget, info + " within " + budget);
                if (c == withoutChecksum && budget == Long.MAX_VALUE) {
                    System.out.printf("vcdiff %s: ours %d bytes, xdelta3 -S none -A -n %d bytes, ratio %.3f%n",
                            pair.name(), patch.length, theirsPlain, (double) patch.length / theirsPlain);
                    // issue 12's target: no larger than xdelta3 in the same subset (no checksum, no app header)
                    assertTrue(patch.length <= theirsPlain, pair.name() + ": ours " + patch.length + " bytes, "
                            + "xdelta3's " + theirsPlain);
                }
            }
        }
    }

    @Test
    void xdelta3sDefaultSecondaryCompressionIsRefusedAsUnsupportedNamingTheFlag() throws Exception {
        Path dir = Work.directory("vcdiff-default");
        byte[] old = Images.firmware(51, 100_000);
        Files.write(dir.resolve("old.bin"), old);
        Files.write(dir.resolve("new.bin"), Images.changed(old, 52, 0.02));
        DebianTool.xdelta3Encode(dir, dir.resolve("old.bin"), dir.resolve("new.bin"), dir.resolve("p.vcdiff"));
        try (FileChannel patch = FileChannel.open(dir.resolve("p.vcdiff"))) {
            DeltaException e = assertThrows(DeltaException.class, () -> codec.inspect(patch));
            assertEquals(Reason.UNSUPPORTED, e.reason());
            assertTrue(e.getMessage().contains("-S none"), e.getMessage());
        }
    }

    @Test
    void theWindowIsTheBudget() throws Exception {
        byte[] old = Images.firmware(53, 300_000);
        byte[] next = Images.changed(old, 54, 0.02);
        long budget = VcdiffCodec.BUFFERS + 20_000;
        byte[] patch = Work.create(codec, old, next, budget);
        PatchInfo info = codec.inspect(Deltas.channel(patch));
        assertEquals(budget, info.applyMemory(), "windows of 20000 bytes");
        assertArrayEquals(next, Work.apply(codec, old, patch, next.length, budget));
        assertEquals(Reason.MEMORY, assertThrows(DeltaException.class,
                () -> Work.apply(codec, old, patch, next.length, budget - 1)).reason());
        assertEquals(Reason.MEMORY, assertThrows(DeltaException.class,
                () -> Work.create(codec, old, next, codec.minimumApplyMemory() - 1)).reason());
    }
}
