package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import org.junit.jupiter.api.Test;
import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;
import org.updraft.api.delta.PatchInfo;

/** Applying as a device does, for any codec: base checked, output bounded, result hashed. */
class DeltasTest {

    @Test
    void appliesEachBuiltInCodecAndReturnsTheDigestOfWhatItWrote() throws Exception {
        Path fixtures = Work.fixtures();
        byte[] old = Files.readAllBytes(fixtures.resolve("old.bin"));
        byte[] next = Files.readAllBytes(fixtures.resolve("new.bin"));
        byte[] baseDigest = MessageDigest.getInstance("SHA-256").digest(old);
        for (DeltaCodec codec : DeltaCodecs.builtIn()) {
            byte[] patch = Work.create(codec, old, next, Long.MAX_VALUE);
            Sink sink = new Sink(next.length);
            byte[] digest = Deltas.apply(codec, Deltas.channel(old), baseDigest, Deltas.channel(patch), sink,
                    next.length, Long.MAX_VALUE);
            assertArrayEquals(next, sink.bytes());
            assertEquals(Fixtures.sha256Of(fixtures, "new.bin"), java.util.HexFormat.of().formatHex(digest));
        }
    }

    @Test
    void findsTheBuiltInCodecsByTheirIds() {
        assertEquals("bsdiff", DeltaCodecs.find("bsdiff").orElseThrow().id());
        assertEquals("vcdiff", DeltaCodecs.find("vcdiff").orElseThrow().id());
        assertTrue(DeltaCodecs.find("xdelta").isEmpty());
    }

    /** A vendor's codec that does not keep its promise about the target's size. */
    private record Careless(long writes) implements DeltaCodec {
        @Override
        public String id() {
            return "careless";
        }

        @Override
        public long minimumApplyMemory() {
            return 0;
        }

        @Override
        public void create(SeekableByteChannel base, SeekableByteChannel target, OutputStream patch, long memory) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PatchInfo inspect(SeekableByteChannel patch) {
            return new PatchInfo(id(), writes, 0);
        }

        @Override
        public void apply(SeekableByteChannel base, SeekableByteChannel patch, OutputStream target, long targetSize,
                long memoryLimit) throws IOException {
            for (long i = 0; i < writes; i++) {
                target.write(7);
            }
        }
    }

    @Test
    void aCodecWritingMoreOrLessThanTheTargetIsStoppedOrRefused() throws Exception {
        byte[] base = {1, 2, 3};
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(base);
        Sink sink = new Sink(100);
        DeltaException more = assertThrows(DeltaException.class, () -> Deltas.apply(new Careless(1_000_000),
                Deltas.channel(base), digest, Deltas.channel(new byte[0]), sink, 100, 0));
        assertEquals(Reason.TOO_LARGE, more.reason());
        assertEquals(100, sink.written(), "stopped at the target's size");

        DeltaException less = assertThrows(DeltaException.class, () -> Deltas.apply(new Careless(99),
                Deltas.channel(base), digest, Deltas.channel(new byte[0]), new Sink(100), 100, 0));
        assertEquals(Reason.TOO_SHORT, less.reason());
    }
}
