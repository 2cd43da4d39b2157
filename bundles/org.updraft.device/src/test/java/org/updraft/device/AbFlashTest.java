package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;

import org.junit.jupiter.api.Test;

/** The simulated flash behaves as an MCUboot device with swap and revert does. */
class AbFlashTest {

    private final byte[] factory = {1, 2, 3};
    private final byte[] update = {10, 11, 12, 13, 14, 15, 16, 17};

    private AbFlash withPendingUpdate() {
        AbFlash flash = new AbFlash("1.0.0", 1, factory);
        assertEquals(0, flash.beginWrite("cid-2", update.length));
        flash.write(0, new byte[] {10, 11, 12, 13});
        flash.write(4, new byte[] {14, 15, 16, 17});
        flash.setPending("2.0.0", 2, null);
        return flash;
    }

    @Test
    void aConfirmedNewImageStaysAfterFurtherReboots() {
        AbFlash flash = withPendingUpdate();
        assertTrue(flash.isPending());
        assertEquals(DeviceFlash.Boot.TRIAL, flash.reboot(image -> true));
        assertEquals(AbFlash.Slot.B, flash.activeSlot());
        assertEquals("2.0.0", flash.running().version());
        assertTrue(flash.isOnTrial());
        flash.confirm();
        assertFalse(flash.isOnTrial());
        assertEquals(DeviceFlash.Boot.UNCHANGED, flash.reboot(image -> true));
        assertEquals(2, flash.running().sequence());
        assertArrayEquals(update, flash.running().bytes());
        // the old image stays in the other slot until the next update overwrites it
        assertEquals("1.0.0", flash.image(AbFlash.Slot.A).version());
        assertEquals(2, flash.bootCount());
    }

    @Test
    void anImageThatNeverConfirmsIsRevertedByTheBootloader() {
        AbFlash flash = withPendingUpdate();
        assertEquals(DeviceFlash.Boot.REVERTED, flash.reboot(image -> false));
        assertEquals(AbFlash.Slot.A, flash.activeSlot());
        assertEquals("1.0.0", flash.running().version());
        assertFalse(flash.isOnTrial());
        assertFalse(flash.isPending());
        // a reset, then the watchdog's reset
        assertEquals(2, flash.bootCount());
    }

    @Test
    void aResetBeforeConfirmationGoesBackToTheOldImage() {
        AbFlash flash = withPendingUpdate();
        assertEquals(DeviceFlash.Boot.TRIAL, flash.reboot(image -> true));
        assertThrows(IllegalStateException.class, () -> flash.beginWrite("cid-3", 4),
                "the fallback slot must not be overwritten while the new image is on trial");
        assertEquals(DeviceFlash.Boot.REVERTED, flash.reboot(image -> true));
        assertEquals("1.0.0", flash.running().version());
        assertThrows(IllegalStateException.class, flash::confirm);
    }

    @Test
    void anInterruptedWriteResumesWhereItStopped() throws Exception {
        AbFlash flash = new AbFlash("1.0.0", 1, factory);
        flash.beginWrite("cid-2", update.length);
        flash.write(0, new byte[] {10, 11, 12});
        // the same image again: the written bytes are kept
        assertEquals(3, flash.beginWrite("cid-2", update.length));
        flash.write(3, new byte[] {13, 14, 15, 16, 17});
        try (InputStream in = flash.readWritten()) {
            assertArrayEquals(update, in.readAllBytes());
        }
        // another image: the slot is erased
        assertEquals(0, flash.beginWrite("cid-3", 4));
        assertEquals(0, flash.written());
    }

    @Test
    void writesThatWouldLeaveAGapOrOverflowAreRefused() {
        AbFlash flash = new AbFlash("1.0.0", 1, factory);
        assertThrows(IllegalStateException.class, () -> flash.write(0, new byte[1]));
        flash.beginWrite("cid-2", 8);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> flash.write(4, new byte[4])).getMessage()
                .contains("gap"));
        flash.write(0, new byte[6]);
        assertThrows(IllegalArgumentException.class, () -> flash.write(6, new byte[3]));
        assertTrue(assertThrows(IllegalStateException.class, () -> flash.setPending("2.0.0", 2, null)).getMessage()
                .contains("6 of 8"));
        assertFalse(flash.isPending());
    }

    @Test
    void anErasedImageIsNeverBooted() {
        AbFlash flash = new AbFlash("1.0.0", 1, factory);
        flash.beginWrite("cid-2", update.length);
        flash.write(0, update);
        flash.erase();
        assertNull(flash.image(AbFlash.Slot.B));
        assertEquals(DeviceFlash.Boot.UNCHANGED, flash.reboot(image -> true));
        assertEquals("1.0.0", flash.running().version());
    }

    @Test
    void sharedBytesMustEqualWhatWasWritten() {
        AbFlash flash = new AbFlash("1.0.0", 1, factory);
        flash.beginWrite("cid-2", update.length);
        flash.write(0, update);
        assertThrows(IllegalArgumentException.class, () -> flash.setPending("2.0.0", 2, new byte[8]));
        byte[] shared = update.clone();
        flash.setPending("2.0.0", 2, shared);
        assertTrue(flash.image(AbFlash.Slot.B).bytes() == shared);
    }
}
