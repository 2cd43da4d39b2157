package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.device.DeviceFlash.Boot;
import org.updraft.device.LinuxAbRootfs.Partition;

/**
 * The simulated Linux device installs a signed .swu into the inactive rootfs as SWUpdate does, and U-Boot's boot
 * counter takes it back to the old rootfs when the new system does not confirm itself within bootlimit boots.
 */
class LinuxAbRootfsTest {

    private static final String HARDWARE = "1.0";
    /** One .swu for both partitions: SWUpdate's selections stable,copy1 and stable,copy2. */
    private static final String TWO_COPIES = """
            software = {
              version = "%s";
              hardware-compatibility: [ "1.0", "1.1" ];
              stable = {
                copy1 = { images: ( { filename = "rootfs.ext4"; device = "/dev/mmcblk0p2"; type = "raw";
                                      sha256 = "$swupdate_get_sha256(rootfs.ext4)"; } ); };
                copy2 = { images: ( { filename = "rootfs.ext4"; device = "/dev/mmcblk0p3"; type = "raw";
                                      sha256 = "$swupdate_get_sha256(rootfs.ext4)"; } ); };
              };
            };
            """;

    private static SwuSigner vendor;
    private static SwuSigner someoneElse;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        vendor = new SwuSigner("updraft-linux-vendor");
        someoneElse = new SwuSigner("someone-else");
    }

    private static byte[] rootfs(long seed) {
        byte[] bytes = new byte[6000 + (int) seed];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private byte[] release(String version, byte[] rootfs) throws Exception {
        return vendor.swu(dir, TWO_COPIES.formatted(version), Map.of("rootfs.ext4", rootfs));
    }

    private LinuxAbRootfs factoryDevice() throws Exception {
        return new LinuxAbRootfs(List.of(vendor.certificate()), HARDWARE, "1.0.0", 1, release("1.0.0", rootfs(1)));
    }

    private static void download(LinuxAbRootfs device, String key, byte[] swu) {
        assertEquals(0, device.beginWrite(key, swu.length));
        device.write(0, swu);
    }

    private static Map<String, String> env(String mmcpart, String upgradeAvailable, String bootcount) {
        return Map.of("mmcpart", mmcpart, "upgrade_available", upgradeAvailable, "bootcount", bootcount,
                "bootlimit", "3");
    }

    private static byte[] bytes(ByteBuffer view) {
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    @Test
    void anInstalledReleaseRunsOnTrialAndStaysOnceConfirmed() throws Exception {
        LinuxAbRootfs device = factoryDevice();
        assertEquals(env("2", "0", "0"), device.env());
        assertArrayEquals(rootfs(1), bytes(device.rootfs(Partition.A)), "the factory's rootfs is located");
        byte[] swu = release("2.0.0", rootfs(2));
        download(device, "cid-2", swu);
        device.setPending("2.0.0", 2, null);

        assertTrue(device.isPending());
        assertEquals(env("3", "1", "0"), device.env());
        assertArrayEquals(rootfs(2), bytes(device.rootfs(Partition.B)), "copy2's image went to /dev/mmcblk0p3");
        assertEquals("1.0.0", device.running().version());
        assertEquals(0, device.written(), "the staged .swu is consumed by the install");

        assertEquals(Boot.TRIAL, device.reboot(image -> true));
        assertEquals(Partition.B, device.bootedPartition());
        assertTrue(device.isOnTrial());
        assertEquals(env("3", "1", "1"), device.env());
        assertEquals(2, device.running().sequence());
        assertArrayEquals(swu, device.running().bytes(), "the running release is the .swu as released");
        assertThrows(IllegalStateException.class, () -> device.beginWrite("cid-3", 10),
                "no install may replace the fallback while the new system is on trial");

        device.confirm();
        assertFalse(device.isOnTrial());
        assertEquals(env("3", "0", "0"), device.env());
        assertEquals(Boot.UNCHANGED, device.reboot(image -> true));
        assertEquals(env("3", "0", "0"), device.env(), "no upgrade is available: U-Boot does not count");
        assertEquals("2.0.0", device.running().version());
        assertEquals("1.0.0", device.release(Partition.A).version(), "the old release stays as the other rootfs");
    }

    @Test
    void aNewSystemThatHangsIsTriedBootlimitTimesThenTheOldOneRuns() throws Exception {
        LinuxAbRootfs device = factoryDevice();
        download(device, "cid-2", release("2.0.0", rootfs(2)));
        device.setPending("2.0.0", 2, null);
        AtomicInteger tries = new AtomicInteger();

        assertEquals(Boot.REVERTED, device.reboot(image -> {
            assertEquals("2.0.0", image.version());
            tries.incrementAndGet();
            return false;
        }));
        assertEquals(3, tries.get(), "the watchdog resets it until bootcount exceeds bootlimit");
        assertEquals(Partition.A, device.bootedPartition());
        assertEquals("1.0.0", device.running().version());
        assertFalse(device.isOnTrial());
        assertFalse(device.isPending());
        assertEquals(env("2", "0", "4"), device.env(), "altbootcmd switched back and cleared upgrade_available");
        assertEquals(Boot.UNCHANGED, device.reboot(image -> true));
    }

    @Test
    void resetsBeforeConfirmationCountUntilTheOldSystemRunsAgain() throws Exception {
        LinuxAbRootfs device = factoryDevice();
        download(device, "cid-2", release("2.0.0", rootfs(2)));
        device.setPending("2.0.0", 2, null);
        assertEquals(Boot.TRIAL, device.reboot(image -> true));
        // power cut twice before the health check ran: the same trial continues, one boot fewer left
        assertEquals(Boot.UNCHANGED, device.reboot(image -> true));
        assertEquals(Boot.UNCHANGED, device.reboot(image -> true));
        assertTrue(device.isOnTrial());
        assertEquals(env("3", "1", "3"), device.env());

        assertEquals(Boot.REVERTED, device.reboot(image -> true));
        assertEquals("1.0.0", device.running().version());
        assertEquals(env("2", "0", "4"), device.env());
        assertThrows(IllegalStateException.class, device::confirm);
    }

    @Test
    void aSwuSignedByAnotherKeyIsRefusedAndNothingChanges() throws Exception {
        LinuxAbRootfs device = factoryDevice();
        download(device, "cid-2", someoneElse.swu(dir, TWO_COPIES.formatted("2.0.0"),
                Map.of("rootfs.ext4", rootfs(2))));
        DeviceFlash.InstallException e = assertThrows(DeviceFlash.InstallException.class,
                () -> device.setPending("2.0.0", 2, null));
        assertEquals("swu-bad-signature", e.reason());
        assertUntouched(device);
    }

    @Test
    void aSwuWhoseImageWasAlteredAfterSigningIsRefused() throws Exception {
        LinuxAbRootfs device = factoryDevice();
        byte[] altered = rootfs(2);
        altered[100] ^= 1;
        download(device, "cid-2", vendor.swu(dir, TWO_COPIES.formatted("2.0.0"), Map.of("rootfs.ext4", rootfs(2)),
                Map.of("rootfs.ext4", altered)));
        DeviceFlash.InstallException e = assertThrows(DeviceFlash.InstallException.class,
                () -> device.setPending("2.0.0", 2, null));
        assertEquals("swu-invalid-hash", e.reason());
        assertUntouched(device);
    }

    @Test
    void aSwuForOtherHardwareOrWithoutAnImageForThePartitionIsRefused() throws Exception {
        LinuxAbRootfs otherBoard = new LinuxAbRootfs(List.of(vendor.certificate()), "2.0", "1.0.0", 1,
                release("1.0.0", rootfs(1)));
        download(otherBoard, "cid-2", release("2.0.0", rootfs(2)));
        assertEquals("swu-wrong-hardware", assertThrows(DeviceFlash.InstallException.class,
                () -> otherBoard.setPending("2.0.0", 2, null)).reason());

        LinuxAbRootfs device = factoryDevice();
        String onlyCopy1 = TWO_COPIES.replaceAll("copy2 = \\{[^}]*\\} \\); \\};", "");
        download(device, "cid-2", vendor.swu(dir, onlyCopy1.formatted("2.0.0"), Map.of("rootfs.ext4", rootfs(2))));
        assertEquals("swu-no-rootfs", assertThrows(DeviceFlash.InstallException.class,
                () -> device.setPending("2.0.0", 2, null)).reason());
        assertUntouched(device);
    }

    private static void assertUntouched(LinuxAbRootfs device) {
        assertEquals("1.0.0", device.running().version());
        assertFalse(device.isPending());
        assertNull(device.release(Partition.B));
        assertEquals(env("2", "0", "0"), device.env());
        assertEquals(0, device.written(), "the refused .swu is discarded");
        assertEquals(Boot.UNCHANGED, device.reboot(image -> true));
    }

    @Test
    void aSingleImageWithoutADeviceGoesToTheInactivePartitionAndSharedBytesAreKept() throws Exception {
        String single = """
                software = { version = "%s"; hardware-compatibility: [ "1.0" ];
                  images: ( { filename = "rootfs.ext4"; type = "raw";
                              sha256 = "$swupdate_get_sha256(rootfs.ext4)"; } ); };
                """;
        LinuxAbRootfs device = factoryDevice();
        for (int release = 2; release <= 3; release++) {
            byte[] swu = vendor.swu(dir, single.formatted(release + ".0.0"), Map.of("rootfs.ext4", rootfs(release)));
            byte[] fleetCopy = swu.clone();
            download(device, "cid-" + release, swu);
            device.setPending(release + ".0.0", release, fleetCopy);
            assertEquals(Boot.TRIAL, device.reboot(image -> true));
            device.confirm();
            assertSame(fleetCopy, device.running().bytes(), "the fleet's one copy is kept, not the download");
        }
        // 2.0.0 went to B, 3.0.0 back to A
        assertEquals(Partition.A, device.bootedPartition());
        assertArrayEquals(rootfs(3), bytes(device.rootfs(Partition.A)));
        assertEquals("2.0.0", device.release(Partition.B).version());
    }

    @Test
    void anInterruptedDownloadResumesWhereItStopped() throws Exception {
        LinuxAbRootfs device = factoryDevice();
        byte[] swu = release("2.0.0", rootfs(2));
        assertEquals(0, device.beginWrite("cid-2", swu.length));
        device.write(0, Arrays.copyOf(swu, 1000));
        // power loss; the agent starts over with the same image: the staged bytes are kept
        assertEquals(1000, device.beginWrite("cid-2", swu.length));
        device.write(1000, Arrays.copyOfRange(swu, 1000, swu.length));
        try (InputStream in = device.readWritten()) {
            assertArrayEquals(swu, in.readAllBytes());
        }
        device.setPending("2.0.0", 2, null);
        assertTrue(device.isPending());

        download(device, "cid-3", release("3.0.0", rootfs(3)));
        assertEquals(0, device.beginWrite("cid-4", 10), "another image starts from the beginning");
        assertEquals(0, device.written());
    }
}
