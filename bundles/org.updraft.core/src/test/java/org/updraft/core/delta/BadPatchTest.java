package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;

/**
 * What a device meets when a patch is wrong: each refusal has its reason, nothing is written past the target's
 * size, and refusals that can be made from the headers are made before anything is written.
 */
class BadPatchTest {

    private static final Path FIXTURES = Work.fixtures();

    static List<DeltaCodec> codecs() {
        return DeltaCodecs.builtIn();
    }

    private static byte[] old() throws Exception {
        return Files.readAllBytes(FIXTURES.resolve("old.bin"));
    }

    private static byte[] next() throws Exception {
        return Files.readAllBytes(FIXTURES.resolve("new.bin"));
    }

    /** Debian's patch for the fixture pair, made by bsdiff or xdelta3. */
    private static byte[] theirs(DeltaCodec codec) throws Exception {
        return Files.readAllBytes(FIXTURES.resolve(codec.id().equals("bsdiff") ? "new.bsdiff" : "new.xdelta3"));
    }

    private static DeltaException refused(DeltaCodec codec, byte[] base, byte[] patch, long targetSize, long memory,
            Sink sink) {
        return assertThrows(DeltaException.class,
                () -> codec.apply(Deltas.channel(base), Deltas.channel(patch), sink, targetSize, memory));
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void aTruncatedPatchIsRefusedAsTruncated(DeltaCodec codec) throws Exception {
        byte[] old = old();
        int size = next().length;
        for (byte[] patch : List.of(theirs(codec), Work.create(codec, old, next(), Long.MAX_VALUE))) {
            for (int cut = 0; cut < patch.length; cut += cut < 80 ? 1 : 37) {
                byte[] cutPatch = Arrays.copyOf(patch, cut);
                Sink sink = new Sink(size);
                DeltaException e = refused(codec, old, cutPatch, size, Long.MAX_VALUE, sink);
                // a VCDIFF cut right after its 5-byte header is a valid patch with no windows: it builds nothing
                Reason expected = codec.id().equals("vcdiff") && cut == 5 ? Reason.TOO_SHORT : Reason.TRUNCATED;
                assertEquals(expected, e.reason(), "cut at " + cut + " of " + patch.length + ": " + e.getMessage());
            }
            // the last byte too: it holds the end of the last checksum
            DeltaException e = refused(codec, old, Arrays.copyOf(patch, patch.length - 1), size, Long.MAX_VALUE,
                    new Sink(size));
            assertEquals(Reason.TRUNCATED, e.reason(), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void garbageIsRefusedAsMalformedBeforeAnythingIsWritten(DeltaCodec codec) throws Exception {
        Random r = new Random(61);
        for (int length : new int[] {1, 7, 32, 100, 5000}) {
            byte[] garbage = new byte[length];
            r.nextBytes(garbage);
            garbage[0] = 'x';
            Sink sink = new Sink(1000);
            assertEquals(Reason.MALFORMED, refused(codec, old(), garbage, 1000, Long.MAX_VALUE, sink).reason());
            assertEquals(0, sink.written());
            assertEquals(Reason.MALFORMED, assertThrows(DeltaException.class,
                    () -> codec.inspect(Deltas.channel(garbage))).reason());
        }
        // the other codec's patch is garbage to this one
        byte[] other = theirs(codec.id().equals("bsdiff") ? new VcdiffCodec() : new BsdiffCodec());
        assertEquals(Reason.MALFORMED, refused(codec, old(), other, next().length, Long.MAX_VALUE,
                new Sink(next().length)).reason());
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void damagedPatchesAreRefusedOrBuildExactlyTheTargetsSize(DeltaCodec codec) throws Exception {
        Random r = new Random(62);
        byte[] old = old();
        int size = next().length;
        byte[] patch = Work.create(codec, old, next(), Long.MAX_VALUE);
        int refusals = 0;
        for (int round = 0; round < 400; round++) {
            byte[] damaged = patch.clone();
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                damaged[r.nextInt(damaged.length)] ^= (byte) (1 + r.nextInt(255));
            }
            Sink sink = new Sink(size);
            try {
                codec.apply(Deltas.channel(old), Deltas.channel(damaged), sink, size, 64L << 20);
                assertEquals(size, sink.written(), "a patch that is accepted builds the whole target");
            } catch (DeltaException expected) {
                refusals++;
            }
        }
        // both formats check what they decode (bzip2 CRCs, VCDIFF Adler-32): damage rarely goes unnoticed
        assertTrue(refusals > 350, refusals + " of 400 damaged patches refused");
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void aPatchForAnotherBaseIsRefused(DeltaCodec codec) throws Exception {
        byte[] old = old();
        byte[] next = next();
        byte[] patch = Work.create(codec, old, next, Long.MAX_VALUE);

        // any codec, through Deltas.apply: the base's digest is checked before a byte is written
        byte[] otherBase = Images.changed(old, 63, 0.001);
        Sink sink = new Sink(next.length);
        DeltaException e = assertThrows(DeltaException.class, () -> Deltas.apply(codec, Deltas.channel(otherBase),
                Deltas.sha256(Deltas.channel(old)), Deltas.channel(patch), sink, next.length,
                Long.MAX_VALUE));
        assertEquals(Reason.BASE_MISMATCH, e.reason());
        assertEquals(0, sink.written());

        // the codec alone: a base too short for what the patch reads
        byte[] shortBase = Arrays.copyOf(old, 1000);
        assertEquals(Reason.BASE_MISMATCH, refused(codec, shortBase, patch, next.length, Long.MAX_VALUE,
                new Sink(next.length)).reason());
    }

    @org.junit.jupiter.api.Test
    void vcdiffWindowChecksumsCatchABaseOfTheSameSize() throws Exception {
        byte[] old = old();
        byte[] patch = Work.create(new VcdiffCodec(), old, next(), Long.MAX_VALUE);
        byte[] otherBase = old.clone();
        otherBase[40_000] ^= 1;
        Sink sink = new Sink(next().length);
        DeltaException e = refused(new VcdiffCodec(), otherBase, patch, next().length, Long.MAX_VALUE, sink);
        assertEquals(Reason.CORRUPT, e.reason());
        assertEquals(0, sink.written(), "the window is checked before it is written");
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void aPatchDeclaringAnotherSizeIsRefusedBeforeAnythingIsWritten(DeltaCodec codec) throws Exception {
        byte[] old = old();
        byte[] next = next();
        byte[] longer = Arrays.copyOf(next, next.length + 1000);
        byte[] grows = Work.create(codec, old, longer, Long.MAX_VALUE);
        Sink sink = new Sink(next.length);
        assertEquals(Reason.TOO_LARGE, refused(codec, old, grows, next.length, Long.MAX_VALUE, sink).reason());
        assertEquals(0, sink.written());

        byte[] shrinks = Work.create(codec, old, Arrays.copyOf(next, next.length - 1000), Long.MAX_VALUE);
        sink = new Sink(next.length);
        assertEquals(Reason.TOO_SHORT, refused(codec, old, shrinks, next.length, Long.MAX_VALUE, sink).reason());
        assertEquals(0, sink.written());
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void aPatchNeedingMoreMemoryThanAllowedIsRefusedBeforeAnythingIsWritten(DeltaCodec codec) throws Exception {
        byte[] patch = theirs(codec);
        long needs = codec.inspect(Deltas.channel(patch)).applyMemory();
        Sink sink = new Sink(next().length);
        assertEquals(Reason.MEMORY, refused(codec, old(), patch, next().length, needs - 1, sink).reason());
        assertEquals(0, sink.written());
        assertArrayEquals(next(), Work.apply(codec, old(), patch, next().length, needs));
    }

    @org.junit.jupiter.api.Test
    void aBsdiffPatchExpandingWithoutBoundStopsAtTheTargetsSize() throws Exception {
        // a well-formed patch for a 1000-byte image whose control block then asks for a terabyte of diff bytes,
        // backed by a diff block that really holds 10 MB (bzip2 makes that tiny)
        byte[] control = new byte[48];
        putOffset(control, 0, 500);
        putOffset(control, 24, 1L << 40);
        byte[] diff = new byte[10_000_000];
        byte[] patch = bsdiff(1000, Bzip2Encoder.compress(control, 48, 1), Bzip2Encoder.compress(diff, diff.length, 9),
                Bzip2Encoder.compress(new byte[0], 0, 1));
        assertTrue(patch.length < 2000, "a " + patch.length + "-byte patch");
        Sink sink = new Sink(1000);
        BsdiffCodec codec = new BsdiffCodec();
        assertEquals(Reason.TOO_LARGE, refused(codec, new byte[2000], patch, 1000, Long.MAX_VALUE, sink).reason());
        assertEquals(500, sink.written(), "the first 500 bytes, then the refusal before byte 501");

        // a header declaring a petabyte image
        byte[] huge = bsdiff(1L << 50, Bzip2Encoder.compress(control, 48, 1), Bzip2Encoder.compress(diff, 10, 1),
                Bzip2Encoder.compress(new byte[0], 0, 1));
        assertEquals(Reason.TOO_LARGE, refused(codec, new byte[2000], huge, 1000, Long.MAX_VALUE, new Sink(1000))
                .reason());
    }

    @org.junit.jupiter.api.Test
    void aVcdiffPatchExpandingWithoutBoundIsRefusedBeforeAnythingIsWritten() throws Exception {
        VcdiffCodec codec = new VcdiffCodec(false);
        // a thousand windows, each a RUN of 1 MiB: 11 bytes per window
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        bomb.writeBytes(new byte[] {(byte) 0xD6, (byte) 0xC3, (byte) 0xC4, 0, 0});
        for (int w = 0; w < 1000; w++) {
            bomb.writeBytes(new byte[] {0, 12, (byte) 0xC0, (byte) 0x80, 0, 0, 1, 4, 0, 0x7f, 0, (byte) 0xC0, (byte) 0x80,
                0});
        }
        byte[] patch = bomb.toByteArray();
        Sink sink = new Sink(1000);
        assertEquals(Reason.TOO_LARGE, refused(codec, new byte[0], patch, 1000, Long.MAX_VALUE, sink).reason());
        assertEquals(0, sink.written());
        assertEquals(1000L << 20, codec.inspect(Deltas.channel(patch)).targetSize(), "what the patch declares");

        // one window declaring a petabyte
        byte[] declared = {(byte) 0xD6, (byte) 0xC3, (byte) 0xC4, 0, 0, 0, 12, (byte) 0x81, (byte) 0x80, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0, 0, 0, 0, 0};
        sink = new Sink(1000);
        assertEquals(Reason.TOO_LARGE, refused(codec, new byte[0], declared, 1000, Long.MAX_VALUE, sink).reason());
        assertEquals(0, sink.written());
    }

    private static byte[] bsdiff(long targetSize, byte[] control, byte[] diff, byte[] extra) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = new byte[32];
        System.arraycopy("BSDIFF40".getBytes(), 0, header, 0, 8);
        putOffset(header, 8, control.length);
        putOffset(header, 16, diff.length);
        putOffset(header, 24, targetSize);
        out.writeBytes(header);
        out.writeBytes(control);
        out.writeBytes(diff);
        out.writeBytes(extra);
        return out.toByteArray();
    }

    private static void putOffset(byte[] b, int at, long value) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
