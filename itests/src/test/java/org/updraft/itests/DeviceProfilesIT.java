package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

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
import org.updraft.profile.espidf.internal.EspImageBuilder;

/**
 * The ESP-IDF and AVR device profiles in the distribution (one Karaf for the class): each installed as its feature
 * and configured for one device class, a release whose image the class's devices can boot is published through the
 * shell, and ones they cannot are refused at publish with the profile's reason, leaving nothing in the store or on
 * the ledger. Before its feature is installed, a manifest naming the profile is refused as {@code profile-missing},
 * naming the feature. ESP-IDF images come from the profile's test {@link EspImageBuilder} (written from Espressif's
 * published format; no esptool here); HEX files are written record by record below. Files go to Karaf's data
 * directory, under the build's target/.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DeviceProfilesIT extends UpdraftTestSupport {

    private static final String VENDOR = "sudwind";

    /** What `updraft sign --profile PROFILE` writes for {@code image}, for class {@code deviceClass}. */
    private static Path sign(Path image, SigningKey key, String deviceClass, String profile, long sequence)
            throws Exception {
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest manifest = new Manifest(VENDOR, deviceClass, profile, "1.0." + sequence, sequence, measured.size(),
                measured.sha256(), measured.cid(CidOptions.DEFAULT), null, Instant.now(), key.did());
        return Files.write(image.resolveSibling(image.getFileName() + "-" + sequence + ".manifest"),
                ManifestCodec.sign(manifest, key));
    }

    private SigningKey trustedVendor() {
        SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
        String trusted = executeCommand("updraft:trust-add --vendor " + VENDOR + " " + vendor.did());
        assertTrue(trusted, trusted.contains("Trusted " + vendor.did()));
        return vendor;
    }

    @Test
    public void espIdfImagesAreCheckedForChipPartitionAndChecksum() throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("karaf.data")), "esp-idf-it");
        SigningKey vendor = trustedVendor();
        Path good = Files.write(dir.resolve("good.bin"), EspImageBuilder.esp32(0x1000).build());

        assertRefused(sign(good, vendor, "sensor", "esp-idf", 1), good, "profile-missing",
                "no device profile 'esp-idf' is installed: feature:install updraft-profile-esp-idf");

        installFeatures("updraft-profile-esp-idf");
        Configuration sensor = configurationAdmin.getFactoryConfiguration("org.updraft.profile.espidf", "sensor", "?");
        try {
            sensor.update(new Hashtable<>(Map.of("device.class", "sensor", "chip.id", "0", "chip.revisions",
                    "v3.1", "partition.size", "0x10000")));
            DeviceProfile profile = waitForService(DeviceProfile.class, "(profile.id=esp-idf)", SERVICE_TIMEOUT);
            await("the class's configuration to reach the profile", SERVICE_TIMEOUT,
                    () -> profile.limits("sensor").isPresent());
            assertEquals(0x10000, profile.limits("sensor").orElseThrow().slotSize());
            String listed = executeCommand("updraft:profile-list");
            assertTrue(listed, listed.contains("Profile esp-idf (feature updraft-profile-esp-idf)"));
            assertTrue(listed, listed.matches("(?s).*\\bsensor\\s+0x10000\\s+4\\s+1024\\s+full images only.*"));

            String published = executeCommand("updraft:release-publish -q " + sign(good, vendor, "sensor", "esp-idf",
                    1) + " " + good);
            assertTrue(published, published.contains("Published " + VENDOR + "/sensor/1"));

            long events = waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT).size();
            Path c3 = Files.write(dir.resolve("c3.bin"), EspImageBuilder.esp32(0x1000).chip(5, 3, 99).build());
            assertRefused(sign(c3, vendor, "sensor", "esp-idf", 2), c3, "profile-rejected",
                    "esp-idf: image built for chip id 5 (esp32c3), class expects 0 (esp32)");
            Path big = Files.write(dir.resolve("big.bin"), EspImageBuilder.esp32(0x8000).build());
            assertRefused(sign(big, vendor, "sensor", "esp-idf", 2), big, "profile-rejected",
                    "esp-idf: image 0x10050 bytes larger than OTA partition 0x10000");
            EspImageBuilder builder = EspImageBuilder.esp32(0x1000);
            int wrong = builder.rightChecksum() ^ 0x5A;
            Path badChecksum = Files.write(dir.resolve("bad-checksum.bin"), builder.checksum(wrong).build());
            assertRefused(sign(badChecksum, vendor, "sensor", "esp-idf", 2), badChecksum, "profile-rejected",
                    String.format("esp-idf: checksum 0x%02x does not match 0x%02x", wrong, builder.rightChecksum()));
            assertNothingKept(events, c3, big, badChecksum);
        } finally {
            sensor.delete();
            uninstallFeatures("updraft-profile-esp-idf");
        }
    }

    @Test
    public void avrHexImagesAreCheckedForRecordsAndApplicationFlash() throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("karaf.data")), "avr-it");
        SigningKey vendor = trustedVendor();
        List<String> records = hexRecords(0x0000, 256);
        Path good = hex(dir.resolve("good.hex"), records);

        assertRefused(sign(good, vendor, "meter", "avr", 1), good, "profile-missing",
                "no device profile 'avr' is installed: feature:install updraft-profile-avr");

        installFeatures("updraft-profile-avr");
        Configuration meter = configurationAdmin.getFactoryConfiguration("org.updraft.profile.avr", "meter", "?");
        try {
            // an ATmega328P with Optiboot: the defaults, said out loud
            meter.update(new Hashtable<>(Map.of("device.class", "meter", "part", "atmega328p", "flash.size",
                    "0x8000", "bootloader.size", "0x200", "page.size", "128")));
            DeviceProfile profile = waitForService(DeviceProfile.class, "(profile.id=avr)", SERVICE_TIMEOUT);
            await("the class's configuration to reach the profile", SERVICE_TIMEOUT,
                    () -> profile.limits("meter").isPresent());
            assertEquals(0x7E00, profile.limits("meter").orElseThrow().slotSize());
            assertEquals(128, profile.limits("meter").orElseThrow().writeAlignment());
            String listed = executeCommand("updraft:profile-list");
            assertTrue(listed, listed.contains("Profile avr (feature updraft-profile-avr)"));
            assertTrue(listed, listed.matches("(?s).*\\bmeter\\s+0x7e00\\s+128\\s+128\\s+full images only.*"));

            String published = executeCommand("updraft:release-publish -q " + sign(good, vendor, "meter", "avr", 1)
                    + " " + good);
            assertTrue(published, published.contains("Published " + VENDOR + "/meter/1"));

            long events = waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT).size();
            List<String> broken = new ArrayList<>(records);
            String third = broken.get(2);
            int stored = Integer.parseInt(third.substring(third.length() - 2), 16);
            broken.set(2, third.substring(0, third.length() - 2) + String.format("%02X", stored ^ 0x01));
            Path badChecksum = hex(dir.resolve("bad-checksum.hex"), broken);
            assertRefused(sign(badChecksum, vendor, "meter", "avr", 2), badChecksum, "profile-rejected",
                    String.format("avr: line 3: record checksum 0x%02x does not match 0x%02x", stored ^ 0x01, stored));
            List<String> intoBootloader = new ArrayList<>(records.subList(0, records.size() - 1));
            intoBootloader.addAll(hexRecords(0x7E00, 16));
            Path outside = hex(dir.resolve("outside.hex"), intoBootloader);
            assertRefused(sign(outside, vendor, "meter", "avr", 2), outside, "profile-rejected",
                    "avr: line 17: data at 0x7e00-0x7e0f outside application flash 0x0000-0x7dff of atmega328p "
                            + "(flash 0x8000, bootloader 0x200)");
            assertNothingKept(events, badChecksum, outside);
        } finally {
            meter.delete();
            uninstallFeatures("updraft-profile-avr");
        }
    }

    @Test
    public void fleetsOfEspIdfAndAvrDevicesAreUpdated() throws Exception {
        // refused before anything is published: a profile that is not running, one the demo does not know
        String missing = executeCommandExpectingFailure("updraft:demo --profile avr --devices 5");
        assertTrue(missing, missing.contains("--profile avr needs the avr device profile: feature:install "
                + "updraft-profile-avr"));
        String unknown = executeCommandExpectingFailure("updraft:demo --profile zephyr --devices 5");
        assertTrue(unknown, unknown.contains("--profile is one of mcuboot, esp-idf, avr, linux, not 'zephyr'"));
        installFeatures("updraft-profile-esp-idf", "updraft-profile-avr");
        try {
            String esp = rollOutProfile("esp-idf", "org.updraft.profile.espidf", 20);
            assertTrue(esp, esp.matches("(?s).*installed  \\S+: runs 2\\.0\\.0 from slot B, confirmed.*"));
            // the HEX of a whole ATmega328P application section
            String avr = rollOutProfile("avr", "org.updraft.profile.avr", 10);
            assertTrue(avr, avr.contains("firmwares with 31 KiB of program each"));
        } finally {
            uninstallFeatures("updraft-profile-esp-idf", "updraft-profile-avr");
        }
    }

    /**
     * Intel HEX data records of 16 bytes each for {@code length} bytes from {@code address} (below 64 KiB), then
     * the end-of-file record.
     */
    private static List<String> hexRecords(int address, int length) {
        List<String> lines = new ArrayList<>();
        for (int at = address; at < address + length; at += 16) {
            StringBuilder record = new StringBuilder(String.format(":10%04X00", at));
            int sum = 0x10 + (at >> 8) + (at & 0xFF);
            for (int i = 0; i < 16; i++) {
                int b = (at + i * 7) & 0xFF;
                record.append(String.format("%02X", b));
                sum += b;
            }
            lines.add(record.append(String.format("%02X", -sum & 0xFF)).toString());
        }
        lines.add(":00000001FF");
        return lines;
    }

    private static Path hex(Path file, List<String> lines) throws Exception {
        return Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private void assertRefused(Path manifest, Path image, String reason, String explanation) {
        String error = executeCommandExpectingFailure("updraft:release-publish -q " + manifest + " " + image);
        assertTrue("expected '" + reason + "' in: " + error, error.contains("(" + reason + ")"));
        assertTrue("expected '" + explanation + "' in: " + error, error.contains(explanation));
    }

    /** Refused releases left nothing: no ledger event, no object in the store. */
    private void assertNothingKept(long events, Path... refusedImages) throws Exception {
        assertEquals("no refused release reached the ledger", events,
                waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT).size());
        FirmwareStore store = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
        for (Path image : refusedImages) {
            assertFalse(image + " was not stored", store.stat(MeasuredImage.of(image, List.of(CidOptions.DEFAULT))
                    .cid(CidOptions.DEFAULT)).isPresent());
        }
    }
}
