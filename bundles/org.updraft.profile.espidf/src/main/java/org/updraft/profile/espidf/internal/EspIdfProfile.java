package org.updraft.profile.espidf.internal;

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
 * The ESP-IDF device profile ({@code profile.id=esp-idf}): ESP32-family devices whose ESP-IDF bootloader boots
 * application images from OTA partitions. At publish it checks, in this order:
 * <ol>
 * <li>the image fits the class's OTA partition;</li>
 * <li>the header: magic 0xE9, 1 to 16 segments, an SPI mode, flash size and speed that exist, a hash-appended flag
 * of 0 or 1 ({@link EspAppImage});</li>
 * <li>the extended header's chip id is the class's, and its minimum and maximum chip revision include every
 * revision the class's devices have;</li>
 * <li>the segments: lengths within the image, load addresses that neither wrap nor overlap (esptool's padding
 * segments, loaded at 0, excepted), the entry point inside one of them;</li>
 * <li>the checksum byte (0xEF XOR the segments' data, after zero padding to one byte short of 16) and, when the
 * flag says so, the appended SHA-256; nothing may follow (secure boot's signature blocks are not checked, so
 * images carrying them are refused).</li>
 * </ol>
 * The release's image is the application image as {@code idf.py build} writes it, the bytes the device writes to
 * its OTA partition. No rule relates it to the previous release: ESP-IDF's anti-rollback eFuse is the manifest's
 * sequence's business. Each refusal's message starts with {@code esp-idf: }.
 */
@Component(service = DeviceProfile.class, property = DeviceProfile.ID + "=" + EspIdfProfile.ID)
public final class EspIdfProfile implements DeviceProfile {

    /** The profile's id, as manifests name it. */
    public static final String ID = "esp-idf";

    /** Factory PID of the per-class configurations. */
    public static final String PID = "org.updraft.profile.espidf";

    private final ProfileClasses<EspIdfClass> classes = new ProfileClasses<>(ID, PID,
            "chip.id, chip.revisions, partition.size");

    @Reference(name = "deviceClass", service = EspIdfClass.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindClass(EspIdfClass deviceClass) {
        classes.add(deviceClass);
    }

    void unbindClass(EspIdfClass deviceClass) {
        classes.remove(deviceClass);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease previous)
            throws ProfileException, IOException {
        EspIdfClass settings = classes.require(release.deviceClass());
        if (release.size() > settings.partitionSize()) {
            throw EspAppImage.refusal("too-large", String.format("image 0x%x bytes larger than OTA partition 0x%x",
                    release.size(), settings.partitionSize()));
        }
        EspAppImage.Header header = EspAppImage.readHeader(image, release.size());
        if (header.chipId() != settings.chipId()) {
            throw EspAppImage.refusal("wrong-chip", "image built for chip id " + EspChip.describe(header.chipId())
                    + ", class expects " + EspChip.describe(settings.chipId()));
        }
        for (int revision : settings.revisions()) {
            if (revision < header.minRevision() || revision > header.maxRevision()) {
                throw EspAppImage.refusal("chip-revision", "image runs on chip revisions "
                        + EspChip.revision(header.minRevision()) + " to " + EspChip.revision(header.maxRevision())
                        + ", the class has devices of revision " + EspChip.revision(revision));
            }
        }
        EspAppImage.readSegments(image, release.size(), header);
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
