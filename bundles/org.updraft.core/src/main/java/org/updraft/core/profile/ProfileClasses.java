package org.updraft.core.profile;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;

/**
 * A profile's device classes, as their configurations come and go: the first configuration of a class is the
 * one used (a second is warned about and kept, taking over when the first goes), and a release of a class without
 * a usable one is refused with the profile's prefix ({@code mcuboot: ...}) as {@code no-configuration}, naming
 * the factory PID and the settings to give, or {@code bad-configuration}, naming the problem. Thread-safe.
 *
 * @param <C> the profile's settings type
 */
public final class ProfileClasses<C extends ClassSettings> {

    private static final Logger LOG = LoggerFactory.getLogger(ProfileClasses.class);

    private final String profileId;
    private final String factoryPid;
    private final String requiredSettings;
    private final List<C> classes = new CopyOnWriteArrayList<>();

    /**
     * @param profileId the profile's id, which starts every refusal's message
     * @param factoryPid the factory PID of the per-class configurations
     * @param requiredSettings the settings a class's configuration needs besides {@code device.class}, as a
     *        refusal names them, e.g. {@code "image.key = the bootloader's public key"}
     */
    public ProfileClasses(String profileId, String factoryPid, String requiredSettings) {
        this.profileId = profileId;
        this.factoryPid = factoryPid;
        this.requiredSettings = requiredSettings;
    }

    public void add(C settings) {
        if (find(settings.deviceClass()).isPresent()) {
            LOG.warn("Device class {} has more than one {} configuration: the first one is used",
                    settings.deviceClass(), profileId);
        }
        classes.add(settings);
    }

    public void remove(C settings) {
        classes.remove(settings);
    }

    /** The settings used for a class, usable or not. */
    public Optional<C> find(String deviceClass) {
        return classes.stream().filter(c -> c.deviceClass().equals(deviceClass)).findFirst();
    }

    /**
     * The usable settings of a class, for checking one of its releases.
     *
     * @throws ProfileException {@code no-configuration} or {@code bad-configuration}
     */
    public C require(String deviceClass) throws ProfileException {
        C settings = find(deviceClass).orElseThrow(() -> refusal("no-configuration", "no configuration for device "
                + "class '" + deviceClass + "': create one with factory PID " + factoryPid + " (device.class = "
                + deviceClass + ", " + requiredSettings + ")"));
        if (settings.problem() != null) {
            throw refusal("bad-configuration", "the configuration of device class '" + deviceClass
                    + "' cannot be used: " + settings.problem());
        }
        return settings;
    }

    /** What {@link org.updraft.api.profile.DeviceProfile#limits} answers: empty without a usable configuration. */
    public Optional<ProfileLimits> limits(String deviceClass) {
        return find(deviceClass).map(ClassSettings::limits);
    }

    /** What {@link org.updraft.api.profile.DeviceProfile#deviceClasses} answers. */
    public Set<String> deviceClasses() {
        return classes.stream().map(ClassSettings::deviceClass).collect(Collectors.toCollection(TreeSet::new));
    }

    /** A refusal in this profile's words: its message starts with the profile's id. */
    public ProfileException refusal(String reason, String message) {
        return new ProfileException(reason, profileId + ": " + message);
    }
}
