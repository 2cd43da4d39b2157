package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.delta.PatchInfo;

/** BSDIFF40 both ways against Debian's bsdiff 4.3: their patches apply with ours, ours with their bspatch. */
class BsdiffCodecTest {

    private final BsdiffCodec codec = new BsdiffCodec();

    @Test
    void debiansFixturePatchAppliesAndOursAppliesWithBspatchAndIsNoLarger() throws Exception {
        Path fixtures = Work.fixtures();
        Path old = fixtures.resolve("old.bin");
        Path next = fixtures.resolve("new.bin");
        String expected = Fixtures.sha256Of(fixtures, "new.bin");
        long size = Files.size(next);

        assertEquals(expected, Work.sha256(Work.apply(codec, old, fixtures.resolve("new.bsdiff"), size)),
                "bsdiff 4.3's new.bsdiff applied by ours");

        Path dir = Work.directory("bsdiff-fixture");
        Path ours = dir.resolve("ours.bsdiff");
        Work.create(codec, old, next, ours);
        Path rebuilt = dir.resolve("rebuilt.bin");
        DebianTool.bspatch(dir, old, rebuilt, ours);
        assertEquals(expected, Work.sha256(Files.readAllBytes(rebuilt)), "our patch applied by bspatch");

        long theirs = Files.size(fixtures.resolve("new.bsdiff"));
        System.out.printf("bsdiff fixture: ours %d bytes, Debian bsdiff %d bytes, ratio %.3f%n", Files.size(ours),
                theirs, (double) Files.size(ours) / theirs);
        assertTrue(Files.size(ours) <= theirs, "ours " + Files.size(ours) + " bytes, Debian's " + theirs);
    }

    static List<Images.Pair> pairs() throws Exception {
        return Images.pairs();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void interoperatesWithDebianBothWays(Images.Pair pair) throws Exception {
        Path dir = Work.directory("bsdiff-pair");
        Path old = dir.resolve("old.bin");
        Path next = dir.resolve("new.bin");
        Files.write(old, pair.old());
        Files.write(next, pair.next());

        // Debian's bsdiff maps its inputs into memory and fails on an empty file; its bspatch takes one
        boolean debianCanDiff = pair.old().length > 0 && pair.next().length > 0;
        Path theirs = dir.resolve("theirs.bsdiff");
        if (debianCanDiff) {
            DebianTool.bsdiff(dir, old, next, theirs);
            assertArrayEquals(pair.next(), Work.apply(codec, old, theirs, pair.next().length), "Debian's patch, ours");
        }

        Path ours = dir.resolve("ours.bsdiff");
        Work.create(codec, old, next, ours);
        Path rebuilt = dir.resolve("rebuilt.bin");
        DebianTool.bspatch(dir, old, rebuilt, ours);
        assertArrayEquals(pair.next(), Files.readAllBytes(rebuilt), "our patch, bspatch");
        assertArrayEquals(pair.next(), Work.apply(codec, old, ours, pair.next().length), "our patch, ours");

        if (!debianCanDiff) {
            return;
        }
        System.out.printf("bsdiff %s: ours %d bytes, Debian bsdiff %d bytes, ratio %.3f%n", pair.name(),
                Files.size(ours), Files.size(theirs), (double) Files.size(ours) / Files.size(theirs));
        // the same matching as bsdiff 4.3 and at least libbzip2's compression: never larger
        assertTrue(Files.size(ours) <= Files.size(theirs), pair.name() + ": ours " + Files.size(ours)
                + " bytes, Debian's " + Files.size(theirs));
    }

    @Test
    void aPatchFitsTheDevicesBudgetAndInspectSaysWhatItNeeds() throws Exception {
        byte[] old = Images.firmware(41, 600_000);
        byte[] next = Images.changed(old, 42, 0.3);

        byte[] roomy = Work.create(codec, old, next, Long.MAX_VALUE);
        PatchInfo roomyInfo = codec.inspect(Deltas.channel(roomy));
        assertEquals(next.length, roomyInfo.targetSize());

        long budget = codec.minimumApplyMemory();
        byte[] tight = Work.create(codec, old, next, budget);
        PatchInfo tightInfo = codec.inspect(Deltas.channel(tight));
        assertTrue(tightInfo.applyMemory() <= budget, tightInfo + " within " + budget);
        assertTrue(roomyInfo.applyMemory() > tightInfo.applyMemory(), "a 30% change needs blocks above level 1");
        assertArrayEquals(next, Work.apply(codec, old, tight, next.length, tightInfo.applyMemory()));

        // Debian's bspatch reads the smaller blocks too
        Path dir = Work.directory("bsdiff-budget");
        Files.write(dir.resolve("old.bin"), old);
        Files.write(dir.resolve("tight.bsdiff"), tight);
        DebianTool.bspatch(dir, dir.resolve("old.bin"), dir.resolve("rebuilt.bin"), dir.resolve("tight.bsdiff"));
        assertArrayEquals(next, Files.readAllBytes(dir.resolve("rebuilt.bin")));
    }

    @Test
    void debiansPatchesUseLevel9StreamsAndNeedAbout11MB() throws Exception {
        try (FileChannel patch = FileChannel.open(Work.fixtures().resolve("new.bsdiff"))) {
            PatchInfo info = codec.inspect(patch);
            assertEquals(67584, info.targetSize());
            assertEquals(3 * Bzip2Decoder.memory(9) + 3L * PatchRegion.BUFFER + BaseImage.CACHE + 2L * 8192,
                    info.applyMemory());
        }
    }
}
