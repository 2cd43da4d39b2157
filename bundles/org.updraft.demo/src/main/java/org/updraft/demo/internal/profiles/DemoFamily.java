package org.updraft.demo.internal.profiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.updraft.device.AbFlash;
import org.updraft.device.DeviceFlash;

/**
 * The images of one device family for a demo run, and the per-class configuration its device profile needs to
 * check them at publish. Each run makes its own family, with its own keys, so runs never share key material.
 */
public interface DemoFamily {

    /** The profiles the demo can publish for, as {@code --profile} names them. */
    List<String> PROFILES = List.of("mcuboot", "esp-idf", "avr", "linux");

    /** The profile id manifests name: {@code mcuboot}, {@code esp-idf}, {@code avr} or {@code linux}. */
    String profile();

    /** The profile's factory PID, under which the class's configuration is created. */
    String configurationPid();

    /**
     * The class's configuration properties ({@code device.class} and the rest), as the profile's class
     * configuration names them; key and certificate files they point to are in the run's directory.
     */
    Map<String, Object> classConfiguration(String deviceClass);

    /**
     * A bootable image of this family holding {@code program}, that says {@code version} and fits {@code sequence}
     * as the release's manifest will.
     *
     * @throws IllegalArgumentException when the program exceeds {@link #maxPayload()} or the version cannot be
     *         written in this family's image
     */
    byte[] image(String version, long sequence, byte[] program) throws IOException;

    /** A bootable image of this family with {@code payloadSize} bytes of program, random from {@code random}. */
    default byte[] image(String version, long sequence, int payloadSize, Random random) throws IOException {
        checkPayload(this, payloadSize);
        byte[] program = new byte[payloadSize];
        random.nextBytes(program);
        return image(version, sequence, program);
    }

    /** The largest payload the family's demo class accepts, so that a too large {@code --image-size} is refused. */
    int maxPayload();

    /** The file name suffix of the family's images, as its tools write them: {@code .bin}, {@code .hex} or .swu. */
    default String fileSuffix() {
        return ".bin";
    }

    /** What the family's simulated devices do to install, in a few words for the demo's output. */
    default String deviceDescription() {
        return "two OTA slots; the bootloader tries the new one and rolls back unless it confirms itself";
    }

    /**
     * A simulated device's flash and bootloader of this family, {@code image} installed at the factory. Default the
     * generic A/B flash, as ESP-IDF's OTA data with rollback and an AVR bootloader with a staging area behave.
     */
    default DeviceFlash factoryFlash(String version, long sequence, byte[] image) {
        return new AbFlash(version, sequence, image);
    }

    /** How a device's flash holds what it runs, read from the simulated hardware, for the demo's summary. */
    default String deviceState(DeviceFlash flash) {
        AbFlash ab = (AbFlash) flash;
        return "runs " + ab.running().version() + " from slot " + ab.activeSlot()
                + (ab.isOnTrial() ? ", on trial" : ", confirmed");
    }

    /**
     * The family of {@code profile} for one run, its key material generated into {@code dir}.
     *
     * @throws IllegalArgumentException for a profile the demo does not know, listing those it knows
     */
    static DemoFamily create(String profile, Path dir) throws IOException {
        String id = profile == null ? "" : profile.strip();
        if (!PROFILES.contains(id)) {
            throw new IllegalArgumentException("--profile '" + profile + "' is not a device family the demo knows: "
                    + String.join(", ", PROFILES));
        }
        Files.createDirectories(dir);
        return switch (id) {
        case "mcuboot" -> McubootFamily.generate(dir);
        case "esp-idf" -> new EspIdfFamily();
        case "avr" -> new AvrFamily();
        default -> LinuxFamily.generate(dir);
        };
    }

    /** Refuses a payload the family's class could not hold, saying how much it can. */
    static void checkPayload(DemoFamily family, int payloadSize) {
        if (payloadSize < 1 || payloadSize > family.maxPayload()) {
            throw new IllegalArgumentException(family.profile() + " images of the demo hold 1 to "
                    + family.maxPayload() + " bytes of program, not " + payloadSize);
        }
    }
}
