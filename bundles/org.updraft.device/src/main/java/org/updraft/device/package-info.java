/**
 * The reference device side of Updraft: a {@link org.updraft.device.DeviceAgent} that checks for updates over
 * CoAP, verifies offers with the platform's one verification library before downloading, downloads block-wise
 * with resume, installs through the simulated flash and bootloader of its profile
 * ({@link org.updraft.device.DeviceFlash}), boots, confirms or rolls back, and signs its reports. Agents talk
 * through a {@link org.updraft.device.CoapLink}, which many of them share. The fleet simulator that runs thousands of agents is the demo's, not part of this API.
 */
@Export
@Version("5.1.0")
package org.updraft.device;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
