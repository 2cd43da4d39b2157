package org.updraft.profile.avr.internal;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.core.profile.ProfileClasses;

/**
 * The AVR device profile ({@code profile.id=avr}): 8-bit AVR devices whose bootloader (Optiboot and its kin)
 * writes the application section of flash page by page.
 *
 * <h2>What a release's image is</h2>
 * The Intel HEX file the vendor's toolchain writes ({@code avr-objcopy -O ihex}): the manifest's size, SHA-256
 * and CID are the HEX file's, so the manufacturer signs the very file this profile checks, record by record, and
 * nothing between signing and the device re-encodes it. A device, or the gateway that programs it through its
 * bootloader, checks the downloaded HEX against the manifest and then writes the binary it stands for: from
 * address 0 to its highest byte, gaps as 0x00, exactly what {@code srec_cat X.hex -intel -o X.bin -binary} writes
 * ({@link IntelHex.FlashImage#writeBinary}, tested against srecord). Delivering that binary instead would give
 * devices bytes whose digest no manifest states. The HEX is about 2.8 times the binary: the class's
 * {@link ProfileLimits#slotSize()} is the application flash the binary goes to, not a bound on the HEX.
 *
 * <h2>What is checked at publish</h2>
 * Every record's characters, byte count and checksum; record types 00 to 05 only; one end-of-file record, last;
 * every data byte inside the part's application flash (below the bootloader section); no byte written twice
 * ({@link IntelHex}); a file more than 64 times the application flash is refused before it is read. No rule
 * relates an image to the previous release. Each refusal's message starts {@code avr: }.
 */
@Component(service = DeviceProfile.class, property = DeviceProfile.ID + "=" + AvrProfile.ID)
public final class AvrProfile implements DeviceProfile {

    /** The profile's id, as manifests name it. */
    public static final String ID = "avr";

    /** Factory PID of the per-class configurations. */
    public static final String PID = "org.updraft.profile.avr";

    private final ProfileClasses<AvrClass> classes = new ProfileClasses<>(ID, PID,
            "part, flash.size, bootloader.size, page.size");

    @Reference(name = "deviceClass", service = AvrClass.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindClass(AvrClass deviceClass) {
        classes.add(deviceClass);
    }

    void unbindClass(AvrClass deviceClass) {
        classes.remove(deviceClass);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease previous)
            throws ProfileException, IOException {
        flashImage(release, image);
    }

    /**
     * Checks the HEX image as {@link #check} does and returns the flash image it stands for.
     *
     * @throws ProfileException when the class has no usable configuration or the image is refused
     */
    IntelHex.FlashImage flashImage(ReleaseFacts release, SeekableByteChannel image)
            throws ProfileException, IOException {
        AvrClass settings = classes.require(release.deviceClass());
        return IntelHex.read(image, release.size(), settings.part());
    }

    @Override
    public Optional<ProfileLimits> limits(String deviceClass) {
        return classes.limits(deviceClass);
    }

    @Override
    public Set<String> deviceClasses() {
        return classes.deviceClasses();
    }

}
