package org.updraft.transport.lorawan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceMemoryTest {

    private static final String A = "00A1B2C3D4E5F601";
    private static final String B = "00a1b2c3d4e5f602";

    @TempDir
    Path dir;

    @Test
    void whatIsRememberedSurvivesAReopenAndCountersOnlyGrow() throws Exception {
        Path file = dir.resolve("state/devices.state");
        DeviceMemory m = DeviceMemory.open(file);
        assertEquals(DeviceMemory.Remembered.NOTHING, m.of(A));
        assertEquals(Map.of(A, 1, B, 1), m.nextSessionCnts(List.of(A, B)));
        assertEquals(Map.of(A, 2), m.nextSessionCnts(List.of(A)));
        m.checkpointSize(B, 5_007);
        m.fullImageOnly(A, "acme/gw/7");

        DeviceMemory again = DeviceMemory.open(file);
        // DevEUIs in either case are one device
        assertEquals(new DeviceMemory.Remembered(2, 0, "acme/gw/7"), again.of(A.toLowerCase()));
        assertEquals(new DeviceMemory.Remembered(1, 5_007, null), again.of(B.toUpperCase()));
        assertEquals(Map.of(A, 3, B, 2), again.nextSessionCnts(List.of(A, B)));
        again.fullImageOnly(A, null);
        assertNull(DeviceMemory.open(file).of(A).fullImageOnly());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void aUsedUpCounterIsRefusedAndNothingIsRecorded() throws Exception {
        Path file = dir.resolve("devices.state");
        Files.writeString(file, A + " 65535 0 -\n" + B + " 7 0 -\n");
        DeviceMemory m = DeviceMemory.open(file);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.nextSessionCnts(List.of(B, A)));
        assertTrue(e.getMessage().contains(A), e.getMessage());
        assertEquals(7, DeviceMemory.open(file).of(B).sessionCnt());
    }

    /**
     * A device whose counter is ahead (the file was lost): each refusal doubles the counter its next session carries,
     * so a device at 5 is reached at 8 after refusals of 1, 2 and 4; the jump is kept across a reopen; a counter never
     * goes back; a refused 65535 leaves none.
     */
    @Test
    void aRefusedCounterDoublesForTheNextSessionAndNeverGoesBack() throws Exception {
        Path file = dir.resolve("devices.state");
        DeviceMemory m = DeviceMemory.open(file);
        int deviceLast = 5;
        List<Integer> tried = new java.util.ArrayList<>();
        int cnt = m.nextSessionCnts(List.of(A)).get(A);
        while (cnt <= deviceLast) {
            tried.add(cnt);
            assertEquals(cnt * 2, m.sessionCntRefused(A, cnt));
            cnt = m.nextSessionCnts(List.of(A)).get(A);
        }
        assertEquals(List.of(1, 2, 4), tried);
        assertEquals(8, cnt);
        assertEquals(8, DeviceMemory.open(file).of(A).sessionCnt());

        // a late refusal of an older counter moves nothing back
        assertEquals(9, m.sessionCntRefused(A, 2));
        assertEquals(Map.of(A, 9), DeviceMemory.open(file).nextSessionCnts(List.of(A)));

        // near the end of the 16 bits: the jump stops at 65535, and a refused 65535 leaves nothing
        assertEquals(DeviceMemory.MAX_SESSION_CNT, m.sessionCntRefused(B, 40_000));
        assertEquals(-1, m.sessionCntRefused(B, DeviceMemory.MAX_SESSION_CNT));
        assertThrows(IllegalStateException.class, () -> DeviceMemory.open(file).nextSessionCnts(List.of(B)));
        assertThrows(IllegalArgumentException.class, () -> m.sessionCntRefused(A, 65_536));
    }

    /** A state file that cannot be written changes nothing, in memory or on disk. */
    @Test
    void aFailedWriteRecordsNothing() throws Exception {
        Path file = dir.resolve("state/devices.state");
        DeviceMemory m = DeviceMemory.open(file);
        assertEquals(Map.of(A, 1), m.nextSessionCnts(List.of(A)));
        Path stateDir = file.getParent();
        Files.delete(file);
        Files.delete(stateDir);
        // a plain file where the directory was: even root cannot write through it
        Files.writeString(stateDir, "not a directory");
        assertThrows(java.io.IOException.class, () -> m.nextSessionCnts(List.of(A)));
        assertThrows(java.io.IOException.class, () -> m.sessionCntRefused(A, 3));
        assertEquals(1, m.of(A).sessionCnt());
    }

    @Test
    void aFileThatCannotBeReadIsRefusedNamingTheLineAndIsLeftAsItWas() throws Exception {
        Path file = dir.resolve("devices.state");
        String text = "# kept\n" + A + " 3 10 -\n" + B + " three 10 -\n";
        Files.writeString(file, text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceMemory.open(file));
        assertTrue(e.getMessage().contains(file + " line 3"), e.getMessage());
        assertEquals(text, Files.readString(file, StandardCharsets.UTF_8));

        Files.writeString(file, A + " 70000 10 -\n");
        assertThrows(IllegalArgumentException.class, () -> DeviceMemory.open(file));
        Files.writeString(file, "00a1 1 10 -\n");
        assertThrows(IllegalArgumentException.class, () -> DeviceMemory.open(file));
    }

    @Test
    void aReleaseIdWithWhiteSpaceIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path file = dir.resolve("devices.state");
        DeviceMemory m = DeviceMemory.open(file);
        assertThrows(IllegalArgumentException.class, () -> m.fullImageOnly(A, "acme gw 7"));
        assertTrue(Files.notExists(file));
    }
}
