package org.updraft.profile.linux.internal;

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
import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuVerifier;

/**
 * The embedded Linux device profile ({@code profile.id=linux}): devices that install SWUpdate archives into an
 * inactive rootfs partition and verify them with SWUpdate's signed-images support (CMS).
 *
 * <h2>What a release's image is</h2>
 * The {@code .swu} itself, as {@code updraft swu-build} or SWUpdate's tooling writes it: the manifest's size,
 * SHA-256 and CID are the archive's, and the device's SWUpdate checks it once more (sw-description's signature
 * under its certificate, each image's sha256) as it installs.
 *
 * <h2>What is checked at publish</h2>
 * What the devices' SWUpdate would refuse, so that nothing they cannot install is offered: the cpio structure
 * (newc or crc, checksums), sw-description first and sw-description.sig second, the CMS signature under the
 * class's certificate, every file sw-description names present with its sha256, the images' total within the
 * rootfs partition, and the class's hardware revisions in hardware-compatibility ({@link SwuVerifier}). No rule
 * relates an image to the previous release. Each refusal's message starts {@code linux: }.
 */
@Component(service = DeviceProfile.class, property = DeviceProfile.ID + "=" + LinuxProfile.ID)
public final class LinuxProfile implements DeviceProfile {

    /** The profile's id, as manifests name it. */
    public static final String ID = "linux";

    /** Factory PID of the per-class configurations. */
    public static final String PID = "org.updraft.profile.linux";

    private final ProfileClasses<LinuxClass> classes = new ProfileClasses<>(ID, PID,
            "swu.certificates, rootfs.partition.size");

    @Reference(name = "deviceClass", service = LinuxClass.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindClass(LinuxClass deviceClass) {
        classes.add(deviceClass);
    }

    void unbindClass(LinuxClass deviceClass) {
        classes.remove(deviceClass);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease previous)
            throws ProfileException, IOException {
        LinuxClass settings = classes.require(release.deviceClass());
        try {
            SwuVerifier.verify(image, release.size(), settings.policy());
        } catch (SwuException e) {
            throw classes.refusal(e.problem(), e.getMessage());
        }
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
