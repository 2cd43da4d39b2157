package org.updraft.profile.mcuboot.internal;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
import org.updraft.core.profile.ProfileClasses;
import org.updraft.core.mcuboot.ImageException;
import org.updraft.core.mcuboot.ImageProblem;
import org.updraft.core.mcuboot.ImageSource;
import org.updraft.core.mcuboot.ImageVerifier;
import org.updraft.core.mcuboot.ImageVersion;
import org.updraft.core.mcuboot.McubootImage;
import org.updraft.core.mcuboot.SecurityCounterRule;
import org.updraft.core.mcuboot.VerifiedImage;

/**
 * The MCUboot device profile ({@code profile.id=mcuboot}). At publish it checks an image as the class's bootloader
 * will, with the library's MCUboot code (the same the device agent and {@code updraft mcuboot-verify} use):
 * <ol>
 * <li>structure: magic, header size, image size, protected and unprotected TLV areas; encrypted images are
 * refused (their hash covers the plaintext);</li>
 * <li>the hash TLV over header, payload and protected TLVs;</li>
 * <li>an Ed25519 or ECDSA P-256 signature TLV that verifies under the class's image key;</li>
 * <li>the image's version {@code major.minor.revision} equals the manifest's {@code MAJOR.MINOR.PATCH} (the build
 * number is free): what devices report after booting it is what the release says;</li>
 * <li>image and trailer fit the class's slot, and the file (padded or not) is no larger than the slot;</li>
 * <li>the security counter follows {@link SecurityCounterRule} against the manifest's sequence and the previous
 * release of the class: never above the sequence, never below the previous image's counter, never dropped once
 * used.</li>
 * </ol>
 * Each refusal's reason is the library's {@link ImageProblem} code (or {@code no-configuration},
 * {@code bad-configuration}, {@code version-mismatch}); its message starts with {@code mcuboot: }.
 */
@Component(service = DeviceProfile.class, property = DeviceProfile.ID + "=" + McubootProfile.ID)
public final class McubootProfile implements DeviceProfile {

    /** The profile's id, as manifests name it. */
    public static final String ID = "mcuboot";

    /** Factory PID of the per-class configurations. */
    public static final String PID = "org.updraft.profile.mcuboot";

    private static final Logger LOG = LoggerFactory.getLogger(McubootProfile.class);
    private static final Pattern SEMVER_CORE = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+).*");

    private final ImageVerifier verifier = new ImageVerifier();
    private final ProfileClasses<McubootClass> classes = new ProfileClasses<>(ID, PID,
            "image.key = the bootloader's public key");

    @Reference(name = "deviceClass", service = McubootClass.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindClass(McubootClass deviceClass) {
        classes.add(deviceClass);
    }

    void unbindClass(McubootClass deviceClass) {
        classes.remove(deviceClass);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease previous)
            throws ProfileException, IOException {
        McubootClass settings = classes.require(release.deviceClass());
        try {
            VerifiedImage verified = verifier.verify(ImageSource.of(image), settings.key());
            checkVersion(release, verified.version());
            settings.slot().check(verified.image());
            if (release.size() > settings.slot().slotSize()) {
                throw new ImageException(ImageProblem.TOO_LARGE, String.format("file 0x%x bytes larger than slot "
                        + "0x%x", release.size(), settings.slot().slotSize()));
            }
            SecurityCounterRule.check(release.sequence(), verified, previousCounter(previous));
        } catch (ImageException e) {
            throw refusal(e.problem().code(), e.getMessage());
        }
    }

    private static void checkVersion(ReleaseFacts release, ImageVersion version) throws ProfileException {
        Matcher m = SEMVER_CORE.matcher(release.version());
        if (!m.matches() || Long.parseLong(m.group(1)) != version.major()
                || Long.parseLong(m.group(2)) != version.minor() || Long.parseLong(m.group(3)) != version.revision()) {
            throw refusal("version-mismatch", "image version " + version + " does not match the manifest's version "
                    + release.version() + " (major.minor.revision must equal MAJOR.MINOR.PATCH)");
        }
    }

    /**
     * The previous release's security counter. Its image was checked when it was published (if this profile ran
     * then); one that does not parse as MCUboot now has no counter to keep to.
     */
    private static OptionalLong previousCounter(PreviousRelease previous) throws IOException {
        if (previous == null) {
            return OptionalLong.empty();
        }
        try {
            return McubootImage.read(ImageSource.of(previous.image())).securityCounter();
        } catch (ImageException e) {
            LOG.warn("The image of the previous release {}/{}/{} is not a readable MCUboot image ({}): its security "
                    + "counter is not compared", previous.release().vendor(), previous.release().deviceClass(),
                    previous.release().sequence(), e.getMessage());
            return OptionalLong.empty();
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

    private static ProfileException refusal(String reason, String message) {
        return new ProfileException(reason, ID + ": " + message);
    }
}
