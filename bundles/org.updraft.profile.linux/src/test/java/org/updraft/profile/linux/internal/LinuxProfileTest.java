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
    private static Path menderKey;
    private static Path menderPub;
    private static Path otherPub;

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
        menderKey = dir.resolve("mender.pem");
        menderPub = dir.resolve("mender.pub");
        otherPub = dir.resolve("other.pub");
        run("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", menderKey.toString());
        run("openssl", "pkey", "-in", menderKey.toString(), "-pubout", "-out", menderPub.toString());
        run("openssl", "genrsa", "-traditional", "-out", dir.resolve("other.pem").toString(), "2048");
        run("openssl", "pkey", "-in", dir.resolve("other.pem").toString(), "-pubout", "-out", otherPub.toString());
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("tool.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": see " + dir.resolve("tool.log"));
    }

    /** A Mender artifact written by Debian's mender-artifact 3.9 (.ci/setup): rootfs image for {@code deviceType}. */
    private static Path mender(String name, String deviceType, int imageSize, String... more) throws Exception {
        byte[] bytes = new byte[imageSize];
        new Random(imageSize).nextBytes(bytes);
        Path image = Files.write(Files.createDirectories(dir.resolve(name + ".d")).resolve("rootfs.ext4"), bytes);
        Path artifact = dir.resolve(name + ".mender");
        Files.deleteIfExists(artifact);
        List<String> command = new java.util.ArrayList<>(List.of("mender-artifact", "write", "rootfs-image", "-t",
                deviceType, "-n", name, "-f", image.toString(), "-o", artifact.toString()));
        command.addAll(List.of(more));
        run(command.toArray(String[]::new));
        return artifact;
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
                + "supported (supported: swu, mender)", e.getMessage());
        e = refused(profile(Map.of("rootfs.partition.size", "big")), "camera", good);
        assertTrue(e.getMessage().endsWith("rootfs.partition.size 'big' is not a number (decimal or 0x "
                + "hexadecimal)"), e.getMessage());
    }

    private static LinuxProfile menderProfile(Map<String, Object> more) {
        Map<String, Object> config = new HashMap<>(Map.of("formats", new String[] {"mender"},
                "mender.verification.keys", new String[] {menderPub.toString()}));
        config.putAll(more);
        return profile(config);
    }

    @Test
    void aSignedMenderArtifactOfTheClassIsAcceptedWithoutSwuSettings() throws Exception {
        Map<String, Object> noSwu = new HashMap<>(Map.of("swu.certificates", new String[0]));
        Path signed = mender("signed", "camera", 0x8000, "-k", menderKey.toString());
        run("mender-artifact", "validate", "-k", menderPub.toString(), signed.toString());
        check(menderProfile(noSwu), "camera", signed);
        // the class's device types, when set, are what artifact_depends.device_type must list
        noSwu.put("mender.device.types", new String[] {"camera"});
        check(menderProfile(noSwu), "camera", signed);
        // both formats: each image is checked as what it is
        LinuxProfile both = profile(Map.of("formats", new String[] {"swu, mender"}, "mender.verification.keys",
                new String[] {menderPub.toString()}));
        check(both, "camera", signed);
        check(both, "camera", swu("both", 1000));
    }

    @Test
    void menderRefusalsNameTheProfileAndTheReason() throws Exception {
        Path signed = mender("refused", "camera", 0x8000, "-k", menderKey.toString(), "--compression", "none");
        ProfileException e = refused(profile(Map.of()), "camera", signed);
        assertEquals("wrong-format", e.reason());
        assertEquals("linux: the image is a Mender artifact; device class 'camera' installs swu", e.getMessage());
        e = refused(menderProfile(Map.of()), "camera", swu("swu-to-mender", 100));
        assertEquals("linux: the image is a .swu (SWUpdate); device class 'camera' installs mender", e.getMessage());

        e = refused(menderProfile(Map.of("mender.verification.keys", new String[] {otherPub.toString()})), "camera",
                signed);
        assertEquals("bad-signature", e.reason());
        e = refused(menderProfile(Map.of()), "camera", mender("unsigned", "camera", 100));
        assertEquals("no-signature", e.reason());
        e = refused(menderProfile(Map.of()), "camera", mender("doorbell", "doorbell", 100, "-k",
                menderKey.toString()));
        assertEquals("linux: the artifact's artifact_depends.device_type [doorbell] does not include the class's "
                + "device type camera", e.getMessage());
        assertEquals("wrong-device-type", e.reason());
        e = refused(menderProfile(Map.of("rootfs.partition.size", "0x7fff")), "camera", signed);
        assertEquals("too-large", e.reason());

        // one payload byte changed: the manifest's checksum no longer matches
        byte[] bytes = Files.readAllBytes(signed);
        byte[] payload = Files.readAllBytes(dir.resolve("refused.d").resolve("rootfs.ext4"));
        int at = indexOf(bytes, java.util.Arrays.copyOfRange(payload, 100, 132));
        assertTrue(at > 0);
        bytes[at] ^= 1;
        e = refused(menderProfile(Map.of()), "camera", Files.write(dir.resolve("tampered.mender"), bytes));
        assertEquals("linux: data/0000/rootfs.ext4 does not match its sha256 in the manifest", e.getMessage());
        assertEquals("invalid-hash", e.reason());

        e = refused(menderProfile(Map.of()), "camera", Files.write(dir.resolve("garbage.mender"),
                "#!/bin/sh\necho not an update\n".repeat(40).getBytes(StandardCharsets.US_ASCII)));
        assertEquals("bad-artifact", e.reason());
        e = refused(menderProfile(Map.of("mender.verification.keys", new String[] {cert.toString()})), "camera",
                signed);
        assertEquals("bad-configuration", e.reason());
        assertTrue(e.getMessage().contains("mender.verification.keys: "), e.getMessage());
    }

    private static int indexOf(byte[] bytes, byte[] find) {
        outer: for (int i = 0; i + find.length <= bytes.length; i++) {
            for (int j = 0; j < find.length; j++) {
                if (bytes[i + j] != find[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
