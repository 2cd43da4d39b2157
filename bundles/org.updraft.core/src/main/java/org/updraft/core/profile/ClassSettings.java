package org.updraft.core.profile;

import org.updraft.api.profile.ProfileLimits;

/**
 * The settings of one device class for one profile, read and checked once from its configuration. A
 * configuration that cannot be used is still kept, with {@link #problem()} saying why, so that the class's images
 * are refused naming what is wrong rather than as if the class had no configuration.
 */
public interface ClassSettings {

    /** The device class these settings are for. */
    String deviceClass();

    /** What the class's devices can take; {@code null} when {@link #problem()} is not. */
    ProfileLimits limits();

    /** Why the configuration cannot be used, or {@code null}. */
    String problem();
}
