package org.updraft.profile.linux.internal;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
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

    private static final Logger LOG = LoggerFactory.getLogger(LinuxProfile.class);

    private final List<LinuxClass> classes = new CopyOnWriteArrayList<>();

    @Reference(name = "deviceClass", service = LinuxClass.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindClass(LinuxClass deviceClass) {
        if (find(deviceClass.deviceClass()).isPresent()) {
            LOG.warn("Device class {} has more than one Linux configuration: the first one is used",
                    deviceClass.deviceClass());
        }
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
        LinuxClass settings = find(release.deviceClass()).orElseThrow(() -> refusal("no-configuration",
                "no configuration for device class '" + release.deviceClass() + "': create one with factory PID "
                        + PID + " (device.class = " + release.deviceClass() + ", swu.certificates, "
                        + "rootfs.partition.size)"));
        if (settings.problem() != null) {
            throw refusal("bad-configuration", "the configuration of device class '" + release.deviceClass()
                    + "' cannot be used: " + settings.problem());
        }
        try {
            SwuVerifier.verify(image, release.size(), settings.policy());
        } catch (SwuException e) {
            throw refusal(e.problem(), e.getMessage());
        }
    }

    private static ProfileException refusal(String reason, String message) {
        return new ProfileException(reason, ID + ": " + message);
    }

    @Override
    public Optional<ProfileLimits> limits(String deviceClass) {
        return find(deviceClass).map(LinuxClass::limits);
    }

    @Override
    public Set<String> deviceClasses() {
        return classes.stream().map(LinuxClass::deviceClass).collect(Collectors.toCollection(TreeSet::new));
    }

    private Optional<LinuxClass> find(String deviceClass) {
        return classes.stream().filter(c -> c.deviceClass().equals(deviceClass)).findFirst();
    }
}
