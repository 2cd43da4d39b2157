package org.updraft.transport.lorawan.internal.update;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ReportFramesTest {

    private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
    private static final String DEV = "70b3d57ed0000001";

    private static byte[] report(int size) {
        byte[] r = new byte[size];
        new Random(size).nextBytes(r);
        return r;
    }

    @Test
    void aReportCutIntoSmallFramesComesBackWholeInAnyOrder() {
        byte[] report = report(700);
        List<byte[]> frames = new ArrayList<>(ReportFrames.split(report, 7, 51));
        // 48 bytes a frame after the header
        assertEquals(15, frames.size());
        frames.forEach(f -> assertTrue(f.length <= 51));
        Collections.shuffle(frames, new Random(1));
        ReportFrames.Assembler assembler = new ReportFrames.Assembler(Duration.ofMinutes(5));
        Optional<byte[]> whole = Optional.empty();
        for (int i = 0; i < frames.size(); i++) {
            whole = assembler.accept(DEV, frames.get(i), T0.plusSeconds(i));
            assertEquals(i == frames.size() - 1, whole.isPresent(), "frame " + i);
        }
        assertArrayEquals(report, whole.orElseThrow());
    }

    @Test
    void aRepeatedFrameCountsOnceAndANewReportStartsOver() {
        byte[] first = report(100);
        byte[] second = report(120);
        List<byte[]> a = ReportFrames.split(first, 1, 51);
        List<byte[]> b = ReportFrames.split(second, 2, 51);
        ReportFrames.Assembler assembler = new ReportFrames.Assembler(Duration.ofMinutes(5));
        assertTrue(assembler.accept(DEV, a.get(0), T0).isEmpty());
        assertTrue(assembler.accept(DEV, a.get(0), T0).isEmpty(), "a repeat does not complete the report");
        // the device gave up on report 1: report 2 replaces it
        assertTrue(assembler.accept(DEV, b.get(0), T0).isEmpty());
        assertTrue(assembler.accept(DEV, b.get(1), T0).isEmpty());
        assertArrayEquals(second, assembler.accept(DEV, b.get(2), T0).orElseThrow());
        // report 1's other frames alone are no report
        assertTrue(assembler.accept(DEV, a.get(1), T0).isEmpty());
    }

    @Test
    void framesOfAReportThatTakesTooLongAreDropped() {
        List<byte[]> frames = ReportFrames.split(report(60), 3, 51);
        ReportFrames.Assembler assembler = new ReportFrames.Assembler(Duration.ofMinutes(5));
        assertTrue(assembler.accept(DEV, frames.get(0), T0).isEmpty());
        assertTrue(assembler.accept(DEV, frames.get(1), T0.plus(Duration.ofMinutes(6))).isEmpty(),
                "the first frame expired: the report is incomplete");
    }

    @Test
    void malformedFramesAreRefusedWithTheirReason() {
        ReportFrames.Assembler assembler = new ReportFrames.Assembler(Duration.ofMinutes(5));
        assertThrows(IllegalArgumentException.class, () -> assembler.accept(DEV, new byte[] {1, 0, 1}, T0));
        assertThrows(IllegalArgumentException.class, () -> assembler.accept(DEV, new byte[] {1, 2, 2, 9}, T0));
        assertThrows(IllegalArgumentException.class, () -> assembler.accept(DEV, new byte[] {1, 0, 0, 9}, T0));
        assertThrows(IllegalArgumentException.class, () -> assembler.accept(DEV, new byte[] {1, 0, (byte) 200, 9},
                T0));
        assertTrue(assembler.accept(DEV, new byte[] {4, 0, 2, 9}, T0).isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> assembler.accept(DEV, new byte[] {4, 1, 3, 9}, T0));
        assertTrue(e.getMessage().contains("said 2 frames, now 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReportFrames.split(new byte[1025], 1, 51));
        assertThrows(IllegalArgumentException.class, () -> ReportFrames.split(new byte[10], 1, 3));
    }
}
