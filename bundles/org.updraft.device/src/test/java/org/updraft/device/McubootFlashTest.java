package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.updraft.core.mcuboot.ImageKey;
import org.updraft.core.mcuboot.SlotLayout;
import org.updraft.device.DeviceFlash.Boot;
import org.updraft.device.McubootFlash.Magic;
import org.updraft.device.McubootFlash.SwapType;
import org.updraft.device.McubootFlash.TrailerState;

/**
 * The simulated MCUboot device swaps, tests, confirms and reverts as MCUboot in swap mode does, with imgtool's
 * images from {@code ../shared/fixtures/mcuboot} (read there, never copied): the bootloader checks them with the
 * provisioned key before it swaps.
 */
class McubootFlashTest {

    /** The fixtures' {@code --slot-size 0x20000 --align 4}: a trailer of 0x630 bytes. */
    private static final SlotLayout LAYOUT = SlotLayout.of(0x20000, 4);
    private static final int SLOT = 0x20000;
    /** Trailer fields from the slot's end with a maximum write size of 8: MCUboot's offsets. */
    private static final int IMAGE_OK = 16 + 8;
    private static final int COPY_DONE = IMAGE_OK + 8;
    private static final int SWAP_INFO = COPY_DONE + 8;
    private static final int SWAP_SIZE = SWAP_INFO + 8;
    private static final TrailerState ERASED = new TrailerState(Magic.UNSET, SwapType.NONE, false, false);

    private final byte[] factory = fixture("unsigned-hashonly.bin");
    private final byte[] update = fixture("signed-ed25519.bin");
    private final McubootFlash flash = new McubootFlash(LAYOUT, key(), "1.0.0", 1, factory);

    private static Path fixtures() {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "repository root (with mvnw) not found above " + Path.of("").toAbsolutePath());
        Path dir = root.resolve("../shared/fixtures/mcuboot").normalize();
        assertTrue(Files.isDirectory(dir), "MCUboot fixtures missing: " + dir);
        return dir;
    }

    static byte[] fixture(String name) {
        try {
            return Files.readAllBytes(fixtures().resolve(name));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static ImageKey key() {
        try {
            return ImageKey.read(fixtures().resolve("fx-ed25519.pub.pem"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void download(String cid, byte[] image) {
        assertEquals(0, flash.beginWrite(cid, image.length));
        int half = image.length / 2;
        flash.write(0, Arrays.copyOf(image, half));
        flash.write(half, Arrays.copyOfRange(image, half, image.length));
    }

    private static byte[] tail(byte[] slot, int fromEnd, int length) {
        return Arrays.copyOfRange(slot, slot.length - fromEnd, slot.length - fromEnd + length);
    }

    @Test
    void aFactoryDeviceRunsItsConfirmedImage() {
        assertEquals(SLOT, flash.slotSize());
        assertEquals("1.0.0", flash.running().version());
        assertArrayEquals(factory, flash.running().bytes());
        assertFalse(flash.isOnTrial());
        assertEquals(new TrailerState(Magic.GOOD, SwapType.NONE, false, true), flash.primaryTrailer());
        assertEquals(ERASED, flash.secondaryTrailer());
        byte[] primary = flash.primary();
        assertEquals(SLOT, primary.length);
        // as imgtool --pad --confirm leaves it: the image, erased flash, image_ok and the boot magic at the end
        assertArrayEquals(factory, Arrays.copyOf(primary, factory.length));
        assertEquals((byte) 0xff, primary[factory.length]);
        assertArrayEquals(LAYOUT.bootMagic(), tail(primary, 16, 16));
        assertEquals(1, primary[SLOT - IMAGE_OK]);
        assertEquals(Boot.UNCHANGED, flash.reboot(image -> true));
    }

    @Test
    void aConfirmedTestSwapRunsTheNewImageFromThenOn() {
        download("cid-2", update);
        flash.setPending("1.2.3", 2, null);
        // boot_set_pending(permanent=false): magic and swap type test in the secondary slot's trailer
        assertEquals(new TrailerState(Magic.GOOD, SwapType.TEST, false, false), flash.secondaryTrailer());
        byte[] secondary = flash.secondary();
        assertArrayEquals(LAYOUT.bootMagic(), tail(secondary, 16, 16));
        assertEquals(0x02, secondary[SLOT - SWAP_INFO]);
        assertEquals((byte) 0xff, secondary[SLOT - IMAGE_OK]);
        assertArrayEquals(update, Arrays.copyOf(secondary, update.length));

        assertEquals(Boot.TRIAL, flash.reboot(image -> true));
        assertTrue(flash.isOnTrial());
        assertEquals("1.2.3", flash.running().version());
        assertEquals(2, flash.running().sequence());
        assertArrayEquals(update, flash.running().bytes(), "exactly the image as released, not the padded slot");
        assertEquals(new TrailerState(Magic.GOOD, SwapType.TEST, true, false), flash.primaryTrailer());
        assertEquals(Math.max(update.length, factory.length), ByteBuffer.wrap(tail(flash.primary(), SWAP_SIZE, 4))
                .order(ByteOrder.LITTLE_ENDIAN).getInt());
        // the old image waits in the secondary slot, without a trailer: a reset now would swap back
        assertEquals(ERASED, flash.secondaryTrailer());
        assertArrayEquals(factory, Arrays.copyOf(flash.secondary(), factory.length));

        flash.confirm();
        assertFalse(flash.isOnTrial());
        assertEquals(new TrailerState(Magic.GOOD, SwapType.TEST, true, true), flash.primaryTrailer());
        assertEquals(1, flash.primary()[SLOT - IMAGE_OK]);
        assertEquals(Boot.UNCHANGED, flash.reboot(image -> true));
        assertEquals("1.2.3", flash.running().version());
        assertArrayEquals(update, flash.running().bytes());
        assertThrows(IllegalStateException.class, flash::confirm);
        assertEquals(2, flash.bootCount());
    }

    @Test
    void aResetBeforeConfirmationSwapsBackToTheOldImage() {
        download("cid-2", update);
        flash.setPending("1.2.3", 2, null);
        assertEquals(Boot.TRIAL, flash.reboot(image -> true));
        assertThrows(IllegalStateException.class, () -> flash.beginWrite("cid-3", 100),
                "the fallback in the secondary slot must not be overwritten while the new image is on trial");
        flash.erase();
        assertArrayEquals(factory, Arrays.copyOf(flash.secondary(), factory.length), "erase keeps the fallback");

        assertEquals(Boot.REVERTED, flash.reboot(image -> true));
        assertEquals("1.0.0", flash.running().version());
        assertEquals(1, flash.running().sequence());
        assertArrayEquals(factory, flash.running().bytes());
        assertFalse(flash.isOnTrial());
        // a revert makes the old image permanent again
        assertEquals(new TrailerState(Magic.GOOD, SwapType.REVERT, true, true), flash.primaryTrailer());
        assertEquals(ERASED, flash.secondaryTrailer());
        assertThrows(IllegalStateException.class, flash::confirm);
        assertEquals(Boot.UNCHANGED, flash.reboot(image -> true));
        assertEquals("1.0.0", flash.running().version());
    }

    @Test
    void anImageThatNeverConfirmsIsRevertedAfterTheWatchdogReset() {
        download("cid-2", update);
        flash.setPending("1.2.3", 2, null);
        assertEquals(Boot.REVERTED, flash.reboot(image -> !image.version().equals("1.2.3")));
        assertEquals("1.0.0", flash.running().version());
        assertArrayEquals(factory, flash.running().bytes());
        assertFalse(flash.isOnTrial());
        assertEquals(new TrailerState(Magic.GOOD, SwapType.REVERT, true, true), flash.primaryTrailer());
        // the reset, then the watchdog's
        assertEquals(2, flash.bootCount());
        assertEquals(Boot.UNCHANGED, flash.reboot(image -> true));
    }

    @ParameterizedTest
    @CsvSource({
        "tampered-sig-ed25519.bin, no signature found for the given key",
        "tampered-ed25519.bin, invalid hash",
        "signed-ecdsa-p256.bin, no signature found for the given key"})
    void theBootloaderRefusesAnImageItsKeyDoesNotVerify(String fixture, String reason) {
        byte[] image = fixture(fixture);
        download("cid-bad", image);
        flash.setPending("1.2.3", 2, null);
        assertEquals(Boot.REFUSED, flash.reboot(i -> true));
        assertTrue(flash.lastRefusal().contains(reason), flash.lastRefusal());
        assertEquals("1.0.0", flash.running().version());
        assertArrayEquals(factory, flash.running().bytes());
        assertFalse(flash.isOnTrial());
        // MCUboot erases the invalid image, so it never tries it again
        byte[] erased = new byte[SLOT];
        Arrays.fill(erased, (byte) 0xff);
        assertArrayEquals(erased, flash.secondary());
        assertEquals(0, flash.written());
        assertEquals(Boot.UNCHANGED, flash.reboot(i -> true));
    }

    @Test
    void anImageLargerThanTheSlotLessItsTrailerIsRefusedBeforeDownloading() {
        // imgtool --pad fills the whole slot: no room is left for the trailer the bootloader writes
        byte[] padded = fixture("signed-ed25519-padded.bin");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> flash.beginWrite("cid-padded", padded.length));
        assertTrue(e.getMessage().startsWith("image 0x20000 bytes larger than slot 0x20000 minus trailer 0x630"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> flash.beginWrite("cid-big", 0x21000));
        assertEquals(0, flash.beginWrite("cid-fits", SLOT - 0x630));
        assertThrows(IllegalArgumentException.class,
                () -> new McubootFlash(LAYOUT, key(), "0.0.1", 0, padded));
    }

    @Test
    void anInterruptedWriteResumesWhereItStopped() throws Exception {
        flash.beginWrite("cid-2", update.length);
        flash.write(0, Arrays.copyOf(update, 1000));
        // power lost: the same image again keeps what was written
        assertEquals(Boot.UNCHANGED, flash.reboot(image -> true));
        assertEquals(1000, flash.beginWrite("cid-2", update.length));
        assertThrows(IllegalArgumentException.class, () -> flash.write(1001, new byte[1]));
        flash.write(1000, Arrays.copyOfRange(update, 1000, update.length));
        try (InputStream in = flash.readWritten()) {
            assertArrayEquals(update, in.readAllBytes());
        }
        flash.setPending("1.2.3", 2, null);
        assertEquals(Boot.TRIAL, flash.reboot(image -> true));
        assertArrayEquals(update, flash.running().bytes());
        flash.confirm();
        // another image: the slot is erased
        assertEquals(0, flash.beginWrite("cid-3", 10));
        assertEquals(0, flash.written());
        assertEquals(ERASED, flash.secondaryTrailer());
    }

    @Test
    void anIncompleteImageCannotBePending() {
        flash.beginWrite("cid-2", update.length);
        flash.write(0, new byte[10]);
        assertTrue(assertThrows(IllegalStateException.class, () -> flash.setPending("1.2.3", 2, null)).getMessage()
                .contains("10 of " + update.length));
        assertEquals(ERASED, flash.secondaryTrailer());
        flash.erase();
        assertThrows(IllegalStateException.class, flash::readWritten);
        assertEquals(Boot.UNCHANGED, flash.reboot(image -> true));
    }

    @Test
    void theRunningImageKeepsTheSharedBytes() {
        download("cid-2", update);
        assertThrows(IllegalArgumentException.class, () -> flash.setPending("1.2.3", 2, new byte[update.length]));
        byte[] shared = update.clone();
        flash.setPending("1.2.3", 2, shared);
        assertEquals(Boot.TRIAL, flash.reboot(image -> true));
        assertSame(shared, flash.running().bytes());
        assertArrayEquals(update, Arrays.copyOf(flash.primary(), update.length));
        assertNull(flash.lastRefusal());
    }
}
