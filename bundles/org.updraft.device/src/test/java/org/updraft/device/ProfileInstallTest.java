package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.mcuboot.SlotLayout;
import org.updraft.device.McubootFlash.Magic;

/**
 * The agent installing through the bootloader of a device family, over CoAP from a platform that offers one
 * release: the signed manifest is always right (the platform checked it), so what is tested is what the device's
 * own installer and bootloader add. An MCUboot device boots an image signed under its image key and confirms it,
 * and refuses one whose MCUboot signature fails even though its manifest verifies (reported {@code boot-refused});
 * a Linux device installs a {@code .swu} signed by its trusted certificate and refuses one signed by another key
 * (reported with SWUpdate's reason). The refused devices keep running their factory image.
 */
class ProfileInstallTest {

    @TempDir
    Path dir;

    private OneReleaseUpdates platform;
    private CoapLink link;

    private void serve(byte[] image) throws Exception {
        platform = new OneReleaseUpdates(dir, image, false);
        link = CoapLink.builder(platform.address()).ackTimeout(Duration.ofMillis(200)).open();
    }

    @AfterEach
    void stop() throws Exception {
        if (link != null) {
            link.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    private UpdateOutcome update(String id, DeviceFlash flash) throws Exception {
        Provisioning p = new Provisioning(id, SigningKey.generate(KeyAlgorithm.ED25519), OneReleaseUpdates.VENDOR,
                OneReleaseUpdates.CLASS, null, "eu-west", Set.of(), platform.ledger.logKey(), platform.trust());
        SimulatedDevice device = new SimulatedDevice(p, flash, 0);
        platform.register(device);
        return DeviceAgent.builder(device, link).blockSize(512).build().update().get(60, TimeUnit.SECONDS);
    }

    private static McubootFlash mcuboot() {
        return new McubootFlash(SlotLayout.of(0x20000, 4), McubootFlashTest.key(), "1.0.0", 1,
                McubootFlashTest.fixture("unsigned-hashonly.bin"));
    }

    @Test
    void anMcubootDeviceBootsAnImageSignedUnderItsKeyAndConfirmsIt() throws Exception {
        byte[] image = McubootFlashTest.fixture("signed-ed25519.bin");
        serve(image);
        McubootFlash flash = mcuboot();

        UpdateOutcome outcome = update("m4-1", flash);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
        assertArrayEquals(image, flash.running().bytes());
        assertFalse(flash.isOnTrial());
        McubootFlash.TrailerState primary = flash.primaryTrailer();
        assertEquals(Magic.GOOD, primary.magic());
        assertTrue(primary.copyDone() && primary.imageOk(), "swapped in, and confirmed: " + primary);
        assertEquals(List.of(DeviceState.DOWNLOADING, DeviceState.DOWNLOADED, DeviceState.VERIFIED,
                DeviceState.INSTALLED), platform.statesReportedBy("m4-1"));
    }

    @Test
    void anMcubootDeviceRefusesToBootAnImageWhoseSignatureFailsUnderItsKey() throws Exception {
        // the manufacturer's manifest covers these bytes; MCUboot's own signature TLV does not verify
        serve(McubootFlashTest.fixture("tampered-sig-ed25519.bin"));
        McubootFlash flash = mcuboot();

        UpdateOutcome outcome = update("m4-2", flash);

        assertEquals(DeviceState.FAILED, outcome.state(), outcome.toString());
        assertEquals("boot-refused", outcome.reason());
        assertArrayEquals(McubootFlashTest.fixture("unsigned-hashonly.bin"), flash.running().bytes());
        assertEquals("1.0.0", outcome.version());
        assertTrue(flash.lastRefusal().contains("signature"), flash.lastRefusal());
        assertEquals(Magic.UNSET, flash.secondaryTrailer().magic(), "the refused image is erased");
    }

    private static final String DESCRIPTION = """
            software = {
              version = "2.0.0";
              hardware-compatibility: [ "1.0" ];
              stable = {
                copy1 = { images: ( { filename = "rootfs.ext4"; device = "/dev/mmcblk0p2"; type = "raw";
                                      sha256 = "$swupdate_get_sha256(rootfs.ext4)"; } ); };
                copy2 = { images: ( { filename = "rootfs.ext4"; device = "/dev/mmcblk0p3"; type = "raw";
                                      sha256 = "$swupdate_get_sha256(rootfs.ext4)"; } ); };
              };
            }
            """;

    @Test
    void aLinuxDeviceInstallsASwuSignedByItsCertificateAndRefusesAnother() throws Exception {
        SwuSigner vendor = new SwuSigner("vendor");
        byte[] rootfs = new byte[40_000];
        new java.util.Random(3).nextBytes(rootfs);
        byte[] good = vendor.swu(dir, DESCRIPTION, Map.of("rootfs.ext4", rootfs));
        serve(good);
        LinuxAbRootfs flash = new LinuxAbRootfs(List.of(vendor.certificate()), "1.0", "1.0.0", 1, new byte[] {1});

        UpdateOutcome installed = update("gw-1", flash);

        assertEquals(DeviceState.INSTALLED, installed.state(), installed.toString());
        assertArrayEquals(good, flash.running().bytes());
        assertEquals("3", flash.env().get(LinuxAbRootfs.MMCPART), "booted from partition B: " + flash.env());
        assertEquals("0", flash.env().get(LinuxAbRootfs.UPGRADE_AVAILABLE), "confirmed: " + flash.env());
    }

    @Test
    void aLinuxDeviceRefusesASwuSignedByAnotherKeyAndKeepsRunning() throws Exception {
        SwuSigner vendor = new SwuSigner("vendor");
        SwuSigner other = new SwuSigner("someone else");
        serve(other.swu(dir, DESCRIPTION, Map.of("rootfs.ext4", new byte[4096])));
        LinuxAbRootfs flash = new LinuxAbRootfs(List.of(vendor.certificate()), "1.0", "1.0.0", 1, new byte[] {1});

        UpdateOutcome outcome = update("gw-2", flash);

        assertEquals(DeviceState.FAILED, outcome.state(), outcome.toString());
        assertEquals("swu-bad-signature", outcome.reason());
        assertArrayEquals(new byte[] {1}, flash.running().bytes());
        assertEquals("2", flash.env().get(LinuxAbRootfs.MMCPART));
        assertFalse("1".equals(flash.env().get(LinuxAbRootfs.UPGRADE_AVAILABLE)), "no upgrade pending: " + flash.env());
    }
}
