package org.updraft.api.profile;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;
import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One family of devices: the image format its bootloader boots, and the limits of its devices. Implemented by
 * profile bundles (Updraft's {@code org.updraft.profile.<family>} or a vendor's), one service per family,
 * registered with the service property {@link #ID} ({@code profile.id=mcuboot}).
 *
 * <h2>How Updraft uses it</h2>
 * <ul>
 * <li>At publish, after the manifest's signature, signer, size, digest and CID are verified and before anything is
 * stored, the release service calls {@link #check} with the manifest's facts and the image when the manifest
 * names this profile. A {@link ProfileException} refuses the release (reason {@code profile-rejected}, with the
 * exception's message); nothing is stored or recorded. A manifest naming a profile no service has is refused as
 * {@code profile-missing}; a manifest naming no profile is not checked by any.</li>
 * <li>Transports and delta services call {@link #limits} to cut blocks and choose patches a device can apply.</li>
 * </ul>
 *
 * <h2>What an implementation does</h2>
 * <ul>
 * <li>Holds its own per-device-class configuration (keys, slot sizes), typically one factory configuration per
 * class. A class it has no configuration for is refused by {@link #check} (saying which configuration to create)
 * and has no {@link #limits}.</li>
 * <li>Reads only what it needs, by position, in bounded memory: images may be larger than the heap.</li>
 * <li>Is thread-safe and keeps no state between calls: {@link #check} may run for several releases at once.</li>
 * <li>Refuses with a stable {@link ProfileException#reason()} and a one-line message that starts with its id and
 * says what a person must fix, e.g. {@code mcuboot: image 0x21000 bytes larger than slot 0x20000 minus trailer
 * 0x630}.</li>
 * </ul>
 */
@ConsumerType
public interface DeviceProfile {

    /** Service property carrying {@link #id()}, e.g. {@code profile.id=mcuboot}. */
    String ID = "profile.id";

    /**
     * The profile's id, as manifests name it ({@code updraft sign --profile}) and devices register with: 1-64
     * letters, digits, {@code .}, {@code _} or {@code -}, e.g. {@code mcuboot}. Equal to the {@link #ID} service
     * property. Its feature is {@code updraft-profile-<id>}.
     */
    String id();

    /**
     * Checks, at publish, that devices of the release's class can boot the image: its format, the signatures
     * their bootloader checks, that it fits their slot, and any rule relating it to the previous release.
     *
     * @param release what the release's signed manifest says; its profile is this one's id
     * @param image the image's bytes, already checked against the manifest's size and digest; read it by position
     *        from 0 to {@code release.size()}; the caller closes it
     * @param previous the class's latest release before this one, when there is one and its manifest names this
     *        profile too (for rules such as MCUboot's security counter); {@code null} otherwise. Its image is read
     *        from the firmware store on demand: an {@link IOException} from it is the store's
     * @throws ProfileException when the image must not be published; its message is shown to the operator
     * @throws IOException when the image cannot be read: the release is refused, as the check could not run
     */
    void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease previous)
            throws ProfileException, IOException;

    /**
     * What devices of a class can take, for the transports and delta services that serve them.
     *
     * @param deviceClass a device class id
     * @return the class's limits, or empty when this profile has no configuration for the class
     */
    Optional<ProfileLimits> limits(String deviceClass);

    /**
     * The device classes this profile has a configuration for, usable or not, so that operators can list them
     * ({@code updraft:profile-list}) with their {@link #limits}. The default, for profiles written before it, is
     * none.
     *
     * @return the class ids; a class whose configuration cannot be used is included and has no {@link #limits}
     * @since 1.1
     */
    default Set<String> deviceClasses() {
        return Set.of();
    }
}
