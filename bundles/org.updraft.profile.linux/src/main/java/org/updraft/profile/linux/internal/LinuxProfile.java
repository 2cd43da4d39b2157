package org.updraft.profile.linux.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
import org.updraft.core.mender.MenderException;
import org.updraft.core.mender.MenderVerifier;
import org.updraft.core.profile.ProfileClasses;
import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuVerifier;

/**
 * The embedded Linux device profile ({@code profile.id=linux}): devices that install SWUpdate archives or Mender
 * artifacts into an inactive rootfs partition and verify them with SWUpdate's signed-images support (CMS) or the
 * Mender client's artifact signature.
 *
 * <h2>What a release's image is</h2>
 * The {@code .swu} itself, as {@code updraft swu-build} or SWUpdate's tooling writes it, or the {@code .mender}
 * artifact as {@code mender-artifact write} writes it: the manifest's size, SHA-256 and CID are the archive's, and
 * the device checks it once more as it installs. The format is told by the image's first bytes (cpio or tar) and
 * must be one of the class's {@code formats}.
 *
 * <h2>What is checked at publish</h2>
 * What the devices' SWUpdate would refuse, so that nothing they cannot install is offered: the cpio structure
 * (newc or crc, checksums), sw-description first and sw-description.sig second, the CMS signature under the
 * class's certificate, every file sw-description names present with its sha256, the images' total within the
 * rootfs partition, and the class's hardware revisions in hardware-compatibility ({@link SwuVerifier}). No rule
 * relates an image to the previous release. A Mender artifact (format 3): its structure, the manifest's SHA-256 of
 * version, header and every payload file, manifest.sig under the class's Mender verification keys (required when
 * keys are configured), the class's device types in artifact_depends.device_type, the payload files within the
 * rootfs partition ({@link MenderVerifier}). Each refusal's message starts {@code linux: }.
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
        String format = format(image, release.size());
        if (format == null) {
            // neither: the first configured format's reader says what is wrong with it
            format = settings.formats().get(0);
        } else if (!settings.formats().contains(format)) {
            throw classes.refusal("wrong-format", "the image is " + (format.equals("swu") ? "a .swu (SWUpdate)"
                    : "a Mender artifact") + "; device class '" + release.deviceClass() + "' installs "
                    + String.join(", ", settings.formats()));
        }
        try {
            if (format.equals("swu")) {
                SwuVerifier.verify(image, release.size(), settings.policy());
            } else {
                MenderVerifier.verify(image, release.size(), settings.menderPolicy());
            }
        } catch (SwuException e) {
            throw classes.refusal(e.problem(), e.getMessage());
        } catch (MenderException e) {
            throw classes.refusal(e.problem(), e.getMessage());
        }
    }

    /**
     * The format an image's first bytes say: a .swu is a cpio archive ({@code 07070}), a Mender artifact a tar
     * (ustar magic at 257); null for neither.
     */
    static String format(SeekableByteChannel image, long size) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(263);
        image.position(0);
        while (head.hasRemaining() && head.position() < size && image.read(head) >= 0) {
            // fill what the image has of the first 263 bytes
        }
        byte[] bytes = Arrays.copyOf(head.array(), head.position());
        if (bytes.length >= 5 && new String(bytes, 0, 5, StandardCharsets.US_ASCII).equals("07070")) {
            return "swu";
        }
        if (bytes.length >= 262 && new String(bytes, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
            return "mender";
        }
        return null;
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
