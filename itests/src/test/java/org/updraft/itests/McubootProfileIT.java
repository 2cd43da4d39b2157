package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;

/**
 * The MCUboot device profile in the distribution: installed as its feature and configured for one device class with
 * the key of imgtool's fixtures ({@code ../shared/fixtures/mcuboot}), it lets a release whose image the class's
 * bootloader would boot be published through the shell, and refuses one it would not; a manifest naming a profile
 * that is not installed is refused naming the feature to install. Refused releases leave nothing behind.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class McubootProfileIT extends UpdraftTestSupport {

    private static final String FIXTURES_PROPERTY = "updraft.mcuboot.fixtures";
    private static final String FEATURE = "updraft-profile-mcuboot";
    private static final String PID = "org.updraft.profile.mcuboot";

    @Override
    protected Option[] additionalOptions() {
        // the repository's root, from failsafe; the fixtures are beside it, read there
        Path fixtures = Path.of(System.getProperty("updraft.repository", ".."), "..", "shared", "fixtures", "mcuboot")
                .toAbsolutePath().normalize();
        return new Option[] { systemProperty(FIXTURES_PROPERTY).value(fixtures.toString()) };
    }

    private static Path fixture(String name) {
        Path file = Path.of(System.getProperty(FIXTURES_PROPERTY)).resolve(name);
        assertTrue("MCUboot fixture missing: " + file, Files.isRegularFile(file));
        return file;
    }

    /**
     * What `updraft sign --profile` writes for {@code image}: version 1.2.3 as the fixtures were signed
     * (imgtool --version 1.2.3+45), signed by {@code key}.
     */
    private static Path sign(Path dir, SigningKey key, Path image, String profile, long sequence) throws Exception {
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest manifest = new Manifest("nordwind", "thermo-m4", profile, "1.2.3", sequence, measured.size(),
                measured.sha256(), measured.cid(CidOptions.DEFAULT), null, Instant.now(), key.did());
        return Files.write(dir.resolve(image.getFileName() + "-" + profile + "-" + sequence + ".manifest"),
                ManifestCodec.sign(manifest, key));
    }

    @Test
    public void aBootableImageIsPublishedAndOneTheBootloaderWouldRefuseIsNot() throws Exception {
        Path dir = Files.createTempDirectory("mcuboot-it");
        SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
        String trusted = executeCommand("updraft:trust-add --vendor nordwind " + vendor.did());
        assertTrue(trusted, trusted.contains("Trusted " + vendor.did()));
        Path signed = Files.copy(fixture("signed-ed25519.bin"), dir.resolve("signed-ed25519.bin"));
        Path tamperedSig = Files.copy(fixture("tampered-sig-ed25519.bin"), dir.resolve("tampered-sig-ed25519.bin"));

        // not installed yet: the release is refused, naming the feature
        assertRefused(sign(dir, vendor, signed, "mcuboot", 7) + " " + signed, "profile-missing",
                "no device profile 'mcuboot' is installed: feature:install updraft-profile-mcuboot");

        installFeatures(FEATURE);
        Configuration thermo = configurationAdmin.getFactoryConfiguration(PID, "thermo-m4", "?");
        try {
            thermo.update(new Hashtable<>(Map.of("device.class", "thermo-m4",
                    "image.key", fixture("fx-ed25519.pub.pem").toString(), "slot.size", "0x20000", "align", "4")));
            DeviceProfile mcuboot = waitForService(DeviceProfile.class, "(profile.id=mcuboot)", SERVICE_TIMEOUT);
            await("the class's configuration to reach the profile", SERVICE_TIMEOUT,
                    () -> mcuboot.limits("thermo-m4").isPresent());
            assertEquals(0x20000, mcuboot.limits("thermo-m4").orElseThrow().slotSize());

            Ledger ledger = waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT);
            FirmwareStore store = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
            ReleaseService releases = waitForService(ReleaseService.class);

            // imgtool's image signed with the class's key, security counter 7, sequence 7
            String published = executeCommand("updraft:release-publish -q " + sign(dir, vendor, signed, "mcuboot", 7)
                    + " " + signed);
            assertTrue(published, published.contains("Published nordwind/thermo-m4/7"));
            assertEquals("mcuboot", releases.find("nordwind/thermo-m4/7").orElseThrow().profile());

            long events = ledger.size();
            // its hash is intact, its Ed25519 signature is not
            assertRefused(sign(dir, vendor, tamperedSig, "mcuboot", 8) + " " + tamperedSig, "profile-rejected",
                    "mcuboot: no signature found for the given key: the ED25519 (0x24) signature does not verify");
            assertFalse("the refused image was not stored", store.stat(MeasuredImage.of(tamperedSig,
                    List.of(CidOptions.DEFAULT)).cid(CidOptions.DEFAULT)).isPresent());
            // a profile no bundle provides
            assertRefused(sign(dir, vendor, signed, "avr", 8) + " " + signed, "profile-missing",
                    "no device profile 'avr' is installed: feature:install updraft-profile-avr");
            assertEquals("no refused release reached the ledger", events, ledger.size());
            assertEquals(Set.of("nordwind/thermo-m4/7"), Set.copyOf(releases.list().stream()
                    .filter(r -> r.vendor().equals("nordwind")).map(r -> r.id()).toList()));
        } finally {
            thermo.delete();
            uninstallFeatures(FEATURE);
        }
        // the profile's feature is gone: manifests naming it are refused again, the platform runs on
        assertRefused(sign(dir, vendor, signed, "mcuboot", 9) + " " + signed, "profile-missing",
                "feature:install updraft-profile-mcuboot");
    }

    @Test
    public void aFleetOfMcubootDevicesInstallsThroughItsBootloader() throws Exception {
        installFeatures(FEATURE);
        try {
            String out = rollOutProfile("mcuboot", PID, 20);
            // read from a device's simulated flash: swapped in by the bootloader, confirmed by the image
            assertTrue(out, out.matches("(?s).*installed  \\S+: primary slot runs 2\\.0\\.0 \\[magic good, swap test, "
                    + "copy_done, image_ok\\].*"));
        } finally {
            uninstallFeatures(FEATURE);
        }
    }

    private void assertRefused(String arguments, String reason, String explanation) {
        String error = executeCommandExpectingFailure("updraft:release-publish -q " + arguments);
        assertTrue("expected '" + reason + "' in: " + error, error.contains("(" + reason + ")"));
        assertTrue("expected '" + explanation + "' in: " + error, error.contains(explanation));
    }
}
