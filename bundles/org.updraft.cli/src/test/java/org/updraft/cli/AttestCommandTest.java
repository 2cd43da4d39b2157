package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.update.BadSignatureException;
import org.updraft.core.update.DeviceAttestations;
import org.updraft.core.update.Enrollment;

class AttestCommandTest {

    @TempDir
    Path dir;

    private static Enrollment enrolling(String deviceDid, String vendor, String deviceClass) {
        return new Enrollment("dev-1", deviceDid, vendor, deviceClass, null, Set.of(), null, "1.0.0", 1,
                Instant.now());
    }

    @Test
    void theManufacturerKeyAttestsADeviceKeyThePlatformThenAccepts() throws Exception {
        String manufacturer = Cli.run("keygen", "--out", dir.resolve("vendor.pem").toString()).ok().strip();
        String device = Cli.run("keygen", "--out", dir.resolve("device.pem").toString(), "--alg", "p256").ok()
                .strip();
        String printed = Cli.run("attest", "--key", dir.resolve("vendor.pem").toString(), "--device",
                dir.resolve("device.pem.pub").toString(), "--vendor", "acme", "--class", "thermo").ok().strip();
        byte[] attestation = Base64.getDecoder().decode(printed);
        TrustedKey trusted = new TrustedKey(manufacturer, "acme", Set.of("thermo"), KeyStatus.ACTIVE, Instant.EPOCH,
                null, null, 0);
        assertEquals(manufacturer, DeviceAttestations.check(attestation, enrolling(device, "acme", "thermo"),
                did -> did.equals(manufacturer) ? Optional.of(trusted) : Optional.empty()).did());
        assertThrows(BadSignatureException.class, () -> DeviceAttestations.check(attestation,
                enrolling(device, "acme", "camera"), did -> Optional.of(trusted)), "another class");

        Path file = dir.resolve("dev.att");
        String said = Cli.run("attest", "--key", dir.resolve("vendor.pem").toString(), "--device", device,
                "--vendor", "acme", "--class", "thermo", "--out", file.toString()).ok();
        assertTrue(said.contains("written to"), said);
        byte[] written = Files.readAllBytes(file);
        assertEquals(manufacturer, DeviceAttestations.check(written, enrolling(device, "acme", "thermo"),
                did -> Optional.of(trusted)).did());
        assertArrayEquals(written, Files.readAllBytes(file), "left as written");
    }

    @Test
    void badArgumentsAreRefusedWithoutWritingAnything() throws Exception {
        Cli.run("keygen", "--out", dir.resolve("vendor.pem").toString()).ok();
        assertTrue(Cli.run("attest", "--key", dir.resolve("vendor.pem").toString(), "--device", "did:key:zNope",
                "--vendor", "acme", "--class", "thermo").usageError().contains("device"));
        assertTrue(Cli.run("attest", "--key", dir.resolve("vendor.pem").toString(), "--device",
                dir.resolve("vendor.pem.pub").toString(), "--vendor", "Not A Vendor!", "--class", "thermo")
                .usageError().contains("vendor"));
    }
}
