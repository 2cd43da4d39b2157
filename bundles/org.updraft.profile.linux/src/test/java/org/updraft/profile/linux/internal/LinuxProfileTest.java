package org.updraft.profile.linux.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.core.swu.SwuVerifier;
import org.updraft.core.swu.SwuWriter;
import org.updraft.testing.Configs;

/**
 * The Linux profile's configuration and refusals: a class's .swu is checked under the class's certificate,
 * partition and hardware revisions, refusals start {@code linux: } and carry the library's reason. The archive
 * format itself is tested against SWUpdate in the library ({@code SwuTest}). Files go to
 * {@code target/linux-profile-test}.
 */
class LinuxProfileTest {

    private static Path dir;
    private static Path cert;
    private static Path key;

    @BeforeAll
    static void keys() throws Exception {
        dir = Files.createDirectories(Path.of("target", "linux-profile-test").toAbsolutePath());
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                key.toString(), "-out", cert.toString(), "-days", "30", "-subj", "/CN=camera-updates")
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
    }

    private static LinuxProfile profile(Map<String, Object> more) {
        Map<String, Object> config = new HashMap<>(Map.of("device.class", "camera", "swu.certificates",
                new String[] {cert.toString()}, "hardware.compatibility", new String[] {"1.0"}, "rootfs.partition.size", "0x10000"));
        config.putAll(more);
        LinuxProfile profile = new LinuxProfile();
        profile.bindClass(new LinuxClass(Configs.of(LinuxClassConfig.class, config)));
        return profile;
    }

    private static Path swu(String name, int imageSize) throws Exception {
        byte[] bytes = new byte[imageSize];
        new Random(imageSize).nextBytes(bytes);
        Path image = Files.write(Files.createDirectories(dir.resolve(name + ".d")).resolve("rootfs.ext4"), bytes);
        byte[] text = SwuWriter.complete("software = { hardware-compatibility = [\"1.0\"]; images: ( { filename = "
                + "\"rootfs.ext4\"; device = \"/dev/mmcblk0p3\"; sha256 = \"$swupdate_get_sha256(rootfs.ext4)\"; "
                + "} ); };", List.of(image));
        byte[] signature = SwuWriter.sign(text, SwuWriter.readPrivateKey(key),
                SwuVerifier.readCertificates(cert).get(0));
        Path swu = dir.resolve(name + ".swu");
        try (OutputStream out = Files.newOutputStream(swu)) {
            SwuWriter.write(out, text, signature, List.of(image));
        }
        return swu;
    }

    private static void check(LinuxProfile profile, String deviceClass, Path swu) throws Exception {
        try (FileChannel c = FileChannel.open(swu)) {
            profile.check(new ReleaseFacts("acme", deviceClass, "linux", "1.0.0", 1, Files.size(swu)), c, null);
        }
    }

    private static ProfileException refused(LinuxProfile profile, String deviceClass, Path swu) {
        ProfileException e = assertThrows(ProfileException.class, () -> check(profile, deviceClass, swu));
        assertTrue(e.getMessage().startsWith("linux: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void aClassSignedSwuThatFitsIsAcceptedAndLimitsAreTheClasss() throws Exception {
        LinuxProfile profile = profile(Map.of("block.size", "512", "delta.codecs", new String[] {"vcdiff, bsdiff"},
                "delta.memory", "1048576"));
        check(profile, "camera", swu("fits", 0x10000));
        assertEquals(new ProfileLimits(0x10000, 1, 512, List.of("vcdiff", "bsdiff"), 1048576),
                profile.limits("camera").orElseThrow());
        assertEquals(Set.of("camera"), profile.deviceClasses());
        assertTrue(profile.limits("doorbell").isEmpty());
    }

    @Test
    void refusalsNameTheProfileAndTheReason() throws Exception {
        Path good = swu("good", 1000);
        ProfileException e = refused(profile(Map.of()), "doorbell", good);
        assertEquals("no-configuration", e.reason());
        assertEquals("linux: no configuration for device class 'doorbell': create one with factory PID "
                + "org.updraft.profile.linux (device.class = doorbell, swu.certificates, rootfs.partition.size)",
                e.getMessage());

        e = refused(profile(Map.of("rootfs.partition.size", "999")), "camera", good);
        assertEquals("too-large", e.reason());
        assertEquals("linux: images of the .swu total 0x3e8 bytes, larger than the partition 0x3e7", e.getMessage());

        e = refused(profile(Map.of("hardware.compatibility", new String[] {"1.0", "2.0"})), "camera", good);
        assertEquals("wrong-hardware", e.reason());

        byte[] bytes = Files.readAllBytes(good);
        e = refused(profile(Map.of()), "camera", Files.write(dir.resolve("truncated.swu"),
                java.util.Arrays.copyOf(bytes, bytes.length / 2)));
        assertEquals("bad-archive", e.reason());
        e = refused(profile(Map.of()), "camera", Files.write(dir.resolve("text.swu"),
                "#!/bin/sh\necho not an update\n".repeat(10).getBytes(StandardCharsets.US_ASCII)));
        assertEquals("bad-archive", e.reason());
    }

    @Test
    void aConfigurationThatCannotBeUsedRefusesSayingWhy() throws Exception {
        Path good = swu("config", 100);
        ProfileException e = refused(profile(Map.of("swu.certificates", new String[] {dir.resolve("absent.pem").toString()})),
                "camera", good);
        assertEquals("bad-configuration", e.reason());
        assertTrue(e.getMessage().startsWith("linux: the configuration of device class 'camera' cannot be used: "
                + "swu.certificates: "), e.getMessage());
        assertTrue(profile(Map.of("swu.certificates", new String[] {dir.resolve("absent.pem").toString()})).limits("camera")
                .isEmpty(), "an unusable class has no limits");
        e = refused(profile(Map.of("formats", new String[] {"swu, deb"})), "camera", good);
        assertEquals("linux: the configuration of device class 'camera' cannot be used: formats: 'deb' is not "
                + "supported (supported: swu)", e.getMessage());
        e = refused(profile(Map.of("rootfs.partition.size", "big")), "camera", good);
        assertTrue(e.getMessage().endsWith("rootfs.partition.size 'big' is not a number (decimal or 0x "
                + "hexadecimal)"), e.getMessage());
    }
}
