/**
 * Device profiles: what one family of devices (an MCU family and its bootloader: MCUboot, ESP-IDF, AVR, embedded
 * Linux) can boot and how much it can take. A vendor adds a family by implementing
 * {@link org.updraft.api.profile.DeviceProfile} in a bundle of its own and registering it as a service with the
 * property {@value org.updraft.api.profile.DeviceProfile#ID}{@code =<id>}.
 *
 * <p>The platform asks the profile a release's manifest names before it stores the image
 * ({@link org.updraft.api.profile.DeviceProfile#check}), so an image its devices could not boot is never published;
 * transports and the delta service ask it how large a slot is, how blocks should be cut and which delta codecs a
 * device class accepts ({@link org.updraft.api.profile.DeviceProfile#limits}).
 */
@Export
@Version("1.1.0")
package org.updraft.api.profile;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
