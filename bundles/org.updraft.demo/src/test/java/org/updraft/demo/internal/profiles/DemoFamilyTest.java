package org.updraft.demo.internal.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.core.mcuboot.ImageKey;
import org.updraft.core.profile.ClassSettings;
import org.updraft.core.swu.SwuVerifier;
import org.updraft.core.swu.Swupdate;
import org.updraft.profile.avr.internal.AvrClass;
import org.updraft.profile.avr.internal.AvrClassConfig;
import org.updraft.profile.avr.internal.AvrProfile;
import org.updraft.profile.espidf.internal.EspIdfClass;
import org.updraft.profile.espidf.internal.EspIdfClassConfig;
import org.updraft.profile.espidf.internal.EspIdfProfile;
import org.updraft.profile.linux.internal.LinuxClass;
import org.updraft.profile.linux.internal.LinuxClassConfig;
import org.updraft.profile.linux.internal.LinuxProfile;
import org.updraft.profile.mcuboot.internal.McubootClass;
import org.updraft.profile.mcuboot.internal.McubootClassConfig;
import org.updraft.profile.mcuboot.internal.McubootProfile;
import org.updraft.testing.Configs;

/**
 * What {@code updraft:demo --profile} publishes passes the real device profile at publish, configured with the
 * class configuration the family gives: the demo's releases are what the family's devices would boot, and a
 * changed byte is refused as it would be in production.
 */
class DemoFamilyTest {

    private static final String DEVICE_CLASS = "demo-20250101-120000";

    @TempDir
    Path dir;

    /** The family's profile with the family's class configuration, bound as Declarative Services binds it. */
    private static DeviceProfile profile(DemoFamily family) throws Exception {
        Map<String, Object> config = family.classConfiguration(DEVICE_CLASS);
        return switch (family.profile()) {
        case "mcuboot" -> bind(new McubootProfile(), new McubootClass(Configs.of(McubootClassConfig.class, config)));
        case "esp-idf" -> bind(new EspIdfProfile(), new EspIdfClass(Configs.of(EspIdfClassConfig.class, config)));
        case "avr" -> bind(new AvrProfile(), new AvrClass(Configs.of(AvrClassConfig.class, config)));
        case "linux" -> bind(new LinuxProfile(), new LinuxClass(Configs.of(LinuxClassConfig.class, config)));
        default -> throw new AssertionError(family.profile());
        };
    }

    /** The profiles' bind methods are package-private (DS calls them), so the test reaches them as DS does. */
    private static DeviceProfile bind(DeviceProfile profile, ClassSettings settings) throws Exception {
        assertNull(settings.problem(), "the family's class configuration is usable");
        Method bind = profile.getClass().getDeclaredMethod("bindClass", settings.getClass());
        bind.setAccessible(true);
        bind.invoke(profile, settings);
        return profile;
    }

    private ReleaseFacts release(DemoFamily family, String version, long sequence, byte[] image) {
        return new ReleaseFacts("updraft-demo", DEVICE_CLASS, family.profile(), version, sequence, image.length);
    }

    private void check(DeviceProfile profile, ReleaseFacts release, byte[] image, PreviousRelease previous)
            throws Exception {
        Path file = Files.write(Files.createTempFile(dir, "image", ".bin"), image);
        try (FileChannel channel = FileChannel.open(file)) {
            profile.check(release, channel, previous);
        }
    }

    @ParameterizedTest
    @CsvSource({ "mcuboot, org.updraft.profile.mcuboot", "esp-idf, org.updraft.profile.espidf",
            "avr, org.updraft.profile.avr", "linux, org.updraft.profile.linux" })
    void imagesOfTwoReleasesPassTheProfileInOrder(String id, String pid) throws Exception {
        DemoFamily family = DemoFamily.create(id, dir);
        DeviceProfile profile = profile(family);
        assertEquals(profile.id(), family.profile());
        assertEquals(pid, family.configurationPid());

        Random random = new Random(1);
        byte[] first = family.image("1.0.0", 1, 16 * 1024, random);
        check(profile, release(family, "1.0.0", 1, first), first, null);
        byte[] second = family.image("2.0.0", 2, 16 * 1024 + 3, random);
        Path previous = Files.write(dir.resolve("previous.bin"), first);
        try (FileChannel before = FileChannel.open(previous)) {
            check(profile, release(family, "2.0.0", 2, second), second,
                    new PreviousRelease(release(family, "1.0.0", 1, first), before));
        }
    }

    @ParameterizedTest
    @CsvSource({ "mcuboot, invalid-hash", "esp-idf, bad-checksum", "avr, bad-checksum", "linux, bad-archive" })
    void aChangedByteIsRefused(String id, String reason) throws Exception {
        DemoFamily family = DemoFamily.create(id, dir);
        byte[] image = family.image("1.0.0", 1, 16 * 1024, new Random(2));
        tamper(image);
        ProfileException e = assertThrows(ProfileException.class,
                () -> check(profile(family), release(family, "1.0.0", 1, image), image, null));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith(id + ": "), e.getMessage());
    }

    /** Changes one byte of program mid-image; in Intel HEX, one data digit for another, as a bit flip would. */
    private static void tamper(byte[] image) {
        int at = image.length / 2;
        if (image[0] == ':') {
            while (Character.digit(image[at], 16) < 0 || image[at - 1] == ':') {
                at++;
            }
            image[at] = (byte) (image[at] == '0' ? '1' : '0');
        } else {
            image[at] ^= 0x01;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "mcuboot", "esp-idf", "avr" })
    void theLargestPayloadFitsAndOneMoreByteIsRefusedEarly(String id) throws Exception {
        DemoFamily family = DemoFamily.create(id, dir);
        byte[] image = family.image("1.0.0", 1, family.maxPayload(), new Random(3));
        check(profile(family), release(family, "1.0.0", 1, image), image, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> family.image("1.0.0", 1, family.maxPayload() + 1, new Random(3)));
        assertEquals(id + " images of the demo hold 1 to " + family.maxPayload() + " bytes of program, not "
                + (family.maxPayload() + 1), e.getMessage());
    }

    @Test
    void avrHoldsTheAtmega328pApplicationFlash() throws Exception {
        assertEquals(0x7E00, DemoFamily.create("avr", dir).maxPayload());
    }

    @Test
    void mcubootExposesTheKeyAndSlotTheClassIsConfiguredWithAndKeepsThePrivateKeyOffDisk() throws Exception {
        McubootFamily family = (McubootFamily) DemoFamily.create("mcuboot", dir);
        Map<String, Object> config = family.classConfiguration(DEVICE_CLASS);
        assertEquals(ImageKey.read(Path.of((String) config.get("image.key"))), family.imageKey());
        assertEquals(Long.decode((String) config.get("slot.size")), family.slotLayout().slotSize());
        assertEquals(config.get("max.sectors"), family.slotLayout().maxSectors());
        try (var files = Files.list(dir)) {
            assertEquals(List.of("mcuboot-image-key.pub.pem"), files.map(f -> f.getFileName().toString()).toList());
        }
    }

    @Test
    void mcubootImagesCarryTheManifestsVersion() throws Exception {
        DemoFamily family = DemoFamily.create("mcuboot", dir);
        byte[] image = family.image("1.4.2-rc.1", 7, 1024, new Random(4));
        check(profile(family), release(family, "1.4.2-rc.1", 7, image), image, null);
        ProfileException e = assertThrows(ProfileException.class,
                () -> check(profile(family), release(family, "1.5.0", 7, image), image, null));
        assertEquals("version-mismatch", e.reason());
    }

    @Test
    void linuxExposesTheCertificateAndHardwareTheClassIsConfiguredWith() throws Exception {
        LinuxFamily family = (LinuxFamily) DemoFamily.create("linux", dir);
        Map<String, Object> config = family.classConfiguration(DEVICE_CLASS);
        assertEquals(SwuVerifier.readCertificates(Path.of(((String[]) config.get("swu.certificates"))[0])),
                family.certificates());
        assertEquals(List.of(family.hardwareRevision()), List.of((String[]) config.get("hardware.compatibility")));
    }

    @Test
    void linuxImagesOfferBothPartitionsOfTheAbPair() throws Exception {
        LinuxFamily family = (LinuxFamily) DemoFamily.create("linux", dir);
        byte[] image = family.image("3.1.0", 3, 4096, new Random(5));
        Path file = Files.write(dir.resolve("a.swu"), image);
        try (FileChannel channel = FileChannel.open(file)) {
            SwuVerifier.Result checked = SwuVerifier.verify(channel, image.length, new SwuVerifier.Policy(
                    family.certificates(), List.of(family.hardwareRevision()), 4096));
            assertEquals(List.of("/dev/mmcblk0p2", "/dev/mmcblk0p3"),
                    checked.description().artifacts().stream().map(a -> a.device()).toList());
            assertEquals(4096, checked.imagesSize());
        }
    }

    /** SWUpdate itself ({@code swupdate -c}) takes the .swu for either copy, on the class's hardware only. */
    @Test
    void swupdateAcceptsTheSwuForEitherCopyOnTheClasssHardware() throws Exception {
        LinuxFamily family = (LinuxFamily) DemoFamily.create("linux", dir);
        Path swu = Files.write(dir.resolve("demo.swu"), family.image("2.0.0", 2, 8192, new Random(6)));
        Path certificate = Path.of(((String[]) family.classConfiguration(DEVICE_CLASS).get("swu.certificates"))[0]);
        String board = "demo:" + family.hardwareRevision();
        assertTrue(Swupdate.accepts(dir, swu, certificate, board, "-e", "stable,copy1"), "stable,copy1");
        assertTrue(Swupdate.accepts(dir, swu, certificate, board, "-e", "stable,copy2"), "stable,copy2");
        assertFalse(Swupdate.accepts(dir, swu, certificate, "demo:2.0", "-e", "stable,copy1"), "another revision");
    }

    @ParameterizedTest
    @ValueSource(strings = { "zephyr", "espidf", "MCUBOOT", "" })
    void anUnknownProfileIsRefusedListingTheFour(String profile) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DemoFamily.create(profile, dir));
        assertEquals("--profile '" + profile + "' is not a device family the demo knows: mcuboot, esp-idf, avr, "
                + "linux", e.getMessage());
    }
}
