package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.swu.SwuVerifier;
import org.updraft.core.swu.SwuWriter;

/**
 * The embedded Linux device profile in the distribution (one Karaf for the class): installed as its feature and
 * configured for one device class that installs both formats, a .swu written by the library's {@link SwuWriter}
 * and a Mender artifact written by Debian's {@code mender-artifact} (signed with an ECDSA key openssl makes;
 * {@code mender-artifact validate} accepts it) are published through the shell, and tampered ones (an image byte
 * changed after signing, an unsigned artifact, one for another device type) are refused at publish with the
 * profile's reason, leaving nothing in the store or on the ledger. Keys and images go to Karaf's data directory,
 * under the build's target/.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LinuxProfileIT extends UpdraftTestSupport {

    private static final String VENDOR = "nordlicht";

    @Test
    public void aFleetOfLinuxDevicesInstallsTheSwuOnTheirOtherRootFileSystem() throws Exception {
        installFeatures("updraft-profile-linux");
        try {
            String out = rollOutProfile("linux", "org.updraft.profile.linux", 20, "--image-size 256");
            // read from a device: booted from the other partition (B), the upgrade confirmed
            assertTrue(out, out.matches("(?s).*installed  \\S+: runs 2\\.0\\.0, U-Boot environment \\{[^}]*"
                    + "mmcpart=3[^}]*upgrade_available=0\\}.*"));
        } finally {
            uninstallFeatures("updraft-profile-linux");
        }
    }

    @Test
    public void swuAndMenderImagesAreCheckedAtPublish() throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("karaf.data")), "linux-it");
        SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
        String trusted = executeCommand("updraft:trust-add --vendor " + VENDOR + " " + vendor.did());
        assertTrue(trusted, trusted.contains("Trusted " + vendor.did()));
        Path cert = dir.resolve("swu-cert.pem");
        Path key = dir.resolve("swu-key.pem");
        Path menderKey = dir.resolve("mender.pem");
        Path menderPub = dir.resolve("mender.pub.pem");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "30", "-subj", "/CN=camera-updates");
        run(dir, "openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", menderKey.toString());
        run(dir, "openssl", "pkey", "-in", menderKey.toString(), "-pubout", "-out", menderPub.toString());

        Path goodSwu = swu(dir, "good", cert, key);
        assertRefused(sign(goodSwu, vendor, 1), goodSwu, "profile-missing",
                "no device profile 'linux' is installed: feature:install updraft-profile-linux");

        installFeatures("updraft-profile-linux");
        Configuration camera = configurationAdmin.getFactoryConfiguration("org.updraft.profile.linux", "camera", "?");
        try {
            camera.update(new Hashtable<>(Map.of("device.class", "camera", "formats", new String[] {"swu", "mender"},
                    "swu.certificates", new String[] {cert.toString()}, "hardware.compatibility",
                    new String[] {"1.0"}, "mender.verification.keys", new String[] {menderPub.toString()},
                    "rootfs.partition.size", "0x100000")));
            DeviceProfile profile = waitForService(DeviceProfile.class, "(profile.id=linux)", SERVICE_TIMEOUT);
            await("the class's configuration to reach the profile", SERVICE_TIMEOUT,
                    () -> profile.limits("camera").isPresent());
            assertEquals(0x100000, profile.limits("camera").orElseThrow().slotSize());

            String published = executeCommand("updraft:release-publish -q " + sign(goodSwu, vendor, 1) + " "
                    + goodSwu);
            assertTrue(published, published.contains("Published " + VENDOR + "/camera/1"));

            Path goodMender = mender(dir, "good", "camera", "--compression", "none", "-k", menderKey.toString());
            run(dir, "mender-artifact", "validate", "-k", menderPub.toString(), goodMender.toString());
            published = executeCommand("updraft:release-publish -q " + sign(goodMender, vendor, 2) + " "
                    + goodMender);
            assertTrue(published, published.contains("Published " + VENDOR + "/camera/2"));

            Ledger ledger = waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT);
            long events = ledger.size();

            Path tamperedSwu = changedImageByte(goodSwu, dir.resolve("good.d").resolve("rootfs.ext4"),
                    dir.resolve("tampered.swu"));
            assertRefused(sign(tamperedSwu, vendor, 3), tamperedSwu, "profile-rejected",
                    "linux: image rootfs.ext4 in the .swu does not match its sha256 in sw-description");

            Path tamperedMender = changedImageByte(goodMender, dir.resolve("good-mender.d").resolve("rootfs.ext4"),
                    dir.resolve("tampered.mender"));
            assertRefused(sign(tamperedMender, vendor, 3), tamperedMender, "profile-rejected",
                    "linux: data/0000/rootfs.ext4 does not match its sha256 in the manifest");
            Path unsigned = mender(dir, "unsigned", "camera");
            assertRefused(sign(unsigned, vendor, 3), unsigned, "profile-rejected", "linux: the artifact is not signed (no manifest.sig)");
            Path doorbell = mender(dir, "doorbell", "doorbell", "-k", menderKey.toString());
            assertRefused(sign(doorbell, vendor, 3), doorbell, "profile-rejected", "linux: the artifact's artifact_depends.device_type "
                    + "[doorbell] does not include the class's device type camera");

            assertEquals("no refused release reached the ledger", events, ledger.size());
            FirmwareStore store = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
            for (Path image : List.of(tamperedSwu, tamperedMender, unsigned, doorbell)) {
                assertFalse(image + " was not stored", store.stat(MeasuredImage.of(image,
                        List.of(CidOptions.DEFAULT)).cid(CidOptions.DEFAULT)).isPresent());
            }
            assertTrue("the published ones were", store.stat(MeasuredImage.of(goodMender,
                    List.of(CidOptions.DEFAULT)).cid(CidOptions.DEFAULT)).isPresent());
        } finally {
            camera.delete();
            uninstallFeatures("updraft-profile-linux");
        }
    }

    /** What `updraft sign --profile linux` writes for {@code image}, for class camera. */
    private static Path sign(Path image, SigningKey key, long sequence) throws Exception {
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest manifest = new Manifest(VENDOR, "camera", "linux", "1.0." + sequence, sequence, measured.size(),
                measured.sha256(), measured.cid(CidOptions.DEFAULT), null, Instant.now(), key.did());
        return Files.write(image.resolveSibling(image.getFileName() + "-" + sequence + ".manifest"),
                ManifestCodec.sign(manifest, key));
    }

    private static Path image(Path dir, String name, int size) throws Exception {
        byte[] bytes = new byte[size];
        new Random(size + name.hashCode()).nextBytes(bytes);
        return Files.write(Files.createDirectories(dir.resolve(name + ".d")).resolve("rootfs.ext4"), bytes);
    }

    /** A .swu for hardware 1.0 signed under {@code cert}, as `updraft swu-build` writes it. */
    private static Path swu(Path dir, String name, Path cert, Path key) throws Exception {
        Path image = image(dir, name, 0x8000);
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

    /** {@code mender-artifact write rootfs-image} for {@code deviceType}, with {@code more} options. */
    private static Path mender(Path dir, String name, String deviceType, String... more) throws Exception {
        Path image = image(dir, name + "-mender", 0x9000);
        Path artifact = dir.resolve(name + ".mender");
        List<String> command = new ArrayList<>(List.of("mender-artifact", "write", "rootfs-image", "-t", deviceType,
                "-n", "camera-" + name, "-f", image.toString(), "-o", artifact.toString()));
        command.addAll(List.of(more));
        run(dir, command.toArray(String[]::new));
        return artifact;
    }

    /**
     * The archive with two bytes of its (uncompressed) image changed, as if altered after signing: one up, one down,
     * so that the cpio checksum (a byte sum) still matches and only the signed sha256 can tell.
     */
    private static Path changedImageByte(Path archive, Path image, Path to) throws Exception {
        byte[] bytes = Files.readAllBytes(archive);
        byte[] find = Arrays.copyOfRange(Files.readAllBytes(image), 512, 544);
        for (int i = 0; i + find.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + find.length, find, 0, find.length)) {
                int up = i;
                while (bytes[up] == (byte) 0xFF) {
                    up++;
                }
                int down = up + 1;
                while (bytes[down] == 0) {
                    down++;
                }
                bytes[up]++;
                bytes[down]--;
                return Files.write(to, bytes);
            }
        }
        throw new AssertionError("the image is not stored uncompressed in " + archive);
    }

    private static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(String.join(" ", command) + " did not finish", p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(String.join(" ", command) + ":\n" + out, 0, p.exitValue());
    }

    private void assertRefused(Path manifest, Path image, String reason, String explanation) {
        String error = executeCommandExpectingFailure("updraft:release-publish -q " + manifest + " " + image);
        assertTrue("expected '" + reason + "' in: " + error, error.contains("(" + reason + ")"));
        assertTrue("expected '" + explanation + "' in: " + error, error.contains(explanation));
    }
}
