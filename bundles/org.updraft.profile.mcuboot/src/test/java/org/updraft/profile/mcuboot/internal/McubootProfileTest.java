package org.updraft.profile.mcuboot.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.core.mcuboot.ImageSigner;
import org.updraft.core.mcuboot.ImageSigningKey;
import org.updraft.core.mcuboot.ImageSource;
import org.updraft.core.mcuboot.ImageVersion;
import org.updraft.core.mcuboot.SignOptions;
import org.updraft.testing.Configs;

/**
 * The MCUboot profile on imgtool's own images ({@code ../shared/fixtures/mcuboot}, read there, never copied): what
 * the class's bootloader would boot is published, what it would refuse is refused at publish, with a reason.
 */
class McubootProfileTest {

    @TempDir
    Path tmp;

    private static Path fixtures;

    static synchronized Path fixture(String name) {
        if (fixtures == null) {
            Path root = Path.of("").toAbsolutePath();
            while (root != null && !Files.exists(root.resolve("mvnw"))) {
                root = root.getParent();
            }
            assertTrue(root != null, "repository root (with mvnw) not found above " + Path.of("").toAbsolutePath());
            fixtures = root.resolve("../shared/fixtures/mcuboot").normalize();
            assertTrue(Files.isDirectory(fixtures), "MCUboot fixtures missing: " + fixtures);
        }
        return fixtures.resolve(name);
    }

    /** A profile with one class, thermo, whose bootloader holds {@code keyFile}; {@code more} overrides settings. */
    private static McubootProfile profile(String keyFile, Map<String, Object> more) {
        Map<String, Object> config = new HashMap<>(Map.of("device.class", "thermo", "image.key",
                keyFile == null ? "" : fixture(keyFile).toString()));
        config.putAll(more);
        McubootProfile profile = new McubootProfile();
        profile.bindClass(new McubootClass(Configs.of(McubootClassConfig.class, config)));
        return profile;
    }

    private static McubootProfile profile(String keyFile) {
        return profile(keyFile, Map.of());
    }

    /** The fixtures were signed as version 1.2.3+45 with security counter 7. */
    private static ReleaseFacts release(Path image, long sequence) throws Exception {
        return new ReleaseFacts("acme", "thermo", "mcuboot", "1.2.3", sequence, Files.size(image));
    }

    private static void check(McubootProfile profile, Path image, long sequence, PreviousRelease previous)
            throws Exception {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            profile.check(release(image, sequence), channel, previous);
        }
    }

    private static ProfileException refused(McubootProfile profile, String image) {
        ProfileException e = assertThrows(ProfileException.class, () -> check(profile, fixture(image), 7, null));
        assertTrue(e.getMessage().startsWith("mcuboot: "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @ParameterizedTest(name = "{0} with key {1}")
    @CsvSource({ "signed-ed25519.bin, fx-ed25519.pub.pem", "signed-ed25519.bin, fx-ed25519.pem",
            "signed-ed25519-padded.bin, fx-ed25519.pub.pem", "signed-ed25519-pure.bin, fx-ed25519.pub.pem",
            "signed-ecdsa-p256.bin, fx-ecdsa-p256.pub.pem" })
    void acceptsWhatTheBootloaderWouldBoot(String image, String key) throws Exception {
        check(profile(key), fixture(image), 7, null);
    }

    @ParameterizedTest(name = "{0} with key {1}: {2}")
    @CsvSource({ "tampered-ed25519.bin, fx-ed25519.pub.pem, invalid-hash, image has an invalid hash",
            "tampered-sig-ed25519.bin, fx-ed25519.pub.pem, no-signature, signature does not verify",
            "unsigned-hashonly.bin, fx-ed25519.pub.pem, no-signature, the image is not signed",
            "signed-ed25519.bin, fx-ecdsa-p256.pub.pem, no-signature, the key is ECDSA P-256",
            "signed-ecdsa-p256.bin, fx-ed25519.pub.pem, no-signature, the key is Ed25519",
            "fw.bin, fx-ed25519.pub.pem, bad-magic, magic" })
    void refusesWhatTheBootloaderWouldRefuseWithItsReason(String image, String key, String reason, String words) {
        ProfileException e = refused(profile(key), image);
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains(words.toLowerCase()), e.getMessage());
    }

    @Test
    void anImageTooLargeForTheSlotIsRefusedSayingByHowMuch() {
        // 0xe54 bytes of image; a 0x1000 slot keeps 0x630 for the trailer (128 sectors, align 4)
        ProfileException e = refused(profile("fx-ed25519.pub.pem", Map.of("slot.size", "0x1000")),
                "signed-ed25519.bin");
        assertEquals("too-large", e.reason());
        assertEquals("mcuboot: image 0xe54 bytes larger than slot 0x1000 minus trailer 0x630 (room for 0x9d0 bytes)",
                e.getMessage());
        // the padded image fits its own slot exactly, but not a smaller one
        ProfileException padded = refused(profile("fx-ed25519.pub.pem", Map.of("slot.size", "65536")),
                "signed-ed25519-padded.bin");
        assertEquals("mcuboot: file 0x20000 bytes larger than slot 0x10000", padded.getMessage());
    }

    @Test
    void theImagesVersionMustBeTheManifests() throws Exception {
        Path image = fixture("signed-ed25519.bin");
        ProfileException e = assertThrows(ProfileException.class, () -> {
            try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
                profile("fx-ed25519.pub.pem").check(new ReleaseFacts("acme", "thermo", "mcuboot", "1.3.0", 7,
                        Files.size(image)), channel, null);
            }
        });
        assertEquals("version-mismatch", e.reason());
        assertEquals("mcuboot: image version 1.2.3+45 does not match the manifest's version 1.3.0 "
                + "(major.minor.revision must equal MAJOR.MINOR.PATCH)", e.getMessage());
    }

    @Test
    void theSecurityCounterNeverRunsAheadOfTheSequenceNorFallsBelowThePreviousReleases() throws Exception {
        McubootProfile profile = profile("fx-ed25519.pub.pem");
        Path counter7 = fixture("signed-ed25519.bin");
        ProfileException ahead = assertThrows(ProfileException.class, () -> check(profile, counter7, 6, null));
        assertEquals("security-counter", ahead.reason());
        assertEquals("mcuboot: security counter 7 exceeds the release's sequence number 6 (a counter never runs "
                + "ahead of the sequence)", ahead.getMessage());

        Path counter5 = sign(5);
        try (FileChannel before = FileChannel.open(counter7, StandardOpenOption.READ)) {
            PreviousRelease previous = new PreviousRelease(release(counter7, 7), before);
            ProfileException lower = assertThrows(ProfileException.class, () -> check(profile, counter5, 8, previous));
            assertEquals("security-counter", lower.reason());
            assertTrue(lower.getMessage().startsWith("mcuboot: security counter 5 is lower than the previous "
                    + "release's 7"), lower.getMessage());
        }
        // equal counters are fine, and so is a previous image that is not MCUboot's (no counter to keep to)
        try (FileChannel before = FileChannel.open(counter7, StandardOpenOption.READ)) {
            check(profile, counter7, 8, new PreviousRelease(release(counter7, 7), before));
        }
        try (FileChannel before = FileChannel.open(fixture("fw.bin"), StandardOpenOption.READ)) {
            check(profile, counter5, 8, new PreviousRelease(release(fixture("fw.bin"), 7), before));
        }
    }

    @Test
    void aClassWithoutAUsableConfigurationIsRefusedSayingWhatToConfigure() throws Exception {
        ProfileException none = assertThrows(ProfileException.class, () -> {
            try (SeekableByteChannel c = FileChannel.open(fixture("signed-ed25519.bin"))) {
                profile("fx-ed25519.pub.pem").check(new ReleaseFacts("acme", "camera", "mcuboot", "1.2.3", 7, 3668),
                        c, null);
            }
        });
        assertEquals("no-configuration", none.reason());
        assertEquals("mcuboot: no configuration for device class 'camera': create one with factory PID "
                + "org.updraft.profile.mcuboot (device.class = camera, image.key = the bootloader's public key)",
                none.getMessage());

        ProfileException noKey = refused(profile(null), "signed-ed25519.bin");
        assertEquals("bad-configuration", noKey.reason());
        assertTrue(noKey.getMessage().contains("no image.key is configured"), noKey.getMessage());

        ProfileException missing = refused(profile(null, Map.of("image.key", tmp.resolve("nope.pem").toString())),
                "signed-ed25519.bin");
        assertTrue(missing.getMessage().contains("nope.pem does not exist"), missing.getMessage());

        ProfileException slot = refused(profile("fx-ed25519.pub.pem", Map.of("slot.size", "128k")),
                "signed-ed25519.bin");
        assertTrue(slot.getMessage().contains("slot.size '128k' is not a number"), slot.getMessage());
    }

    @Test
    void limitsAreTheClasssConfiguration() {
        McubootProfile profile = profile("fx-ed25519.pub.pem", Map.of("slot.size", "0x40000", "align", 8,
                "block.size", 512, "delta.codecs", new String[] { "vcdiff", "bsdiff" }, "delta.memory", 16384L));
        assertEquals(Optional.of(new ProfileLimits(0x40000, 8, 512, List.of("vcdiff", "bsdiff"), 16384)),
                profile.limits("thermo"));
        assertEquals(Optional.empty(), profile.limits("camera"));
        assertEquals(Set.of("thermo"), profile.deviceClasses());
        // as a .cfg file gives it: one string
        assertEquals(List.of("vcdiff", "bsdiff"), profile("fx-ed25519.pub.pem", Map.of("delta.codecs",
                new String[] { "vcdiff, bsdiff" })).limits("thermo").orElseThrow().deltaCodecs());
    }

    @Test
    void aRemovedConfigurationRemovesItsClass() throws Exception {
        McubootProfile profile = new McubootProfile();
        McubootClass thermo = new McubootClass(Configs.of(McubootClassConfig.class,
                Map.of("device.class", "thermo", "image.key", fixture("fx-ed25519.pub.pem").toString())));
        profile.bindClass(thermo);
        check(profile, fixture("signed-ed25519.bin"), 7, null);
        profile.unbindClass(thermo);
        assertEquals("no-configuration", refused(profile, "signed-ed25519.bin").reason());
    }

    /** fw.bin signed with the fixtures' Ed25519 key and options, but security counter {@code counter}. */
    private Path sign(long counter) throws Exception {
        SignOptions options = SignOptions.builder(0x200, ImageVersion.parse("1.2.3+45"), 0x20000).align(4)
                .padHeader(true).securityCounter(counter).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ImageSigner(options, ImageSigningKey.read(fixture("fx-ed25519.pem")))
                .sign(ImageSource.of(Files.readAllBytes(fixture("fw.bin"))), out);
        Path file = tmp.resolve("counter-" + counter + ".bin");
        Files.write(file, out.toByteArray());
        return file;
    }
}
