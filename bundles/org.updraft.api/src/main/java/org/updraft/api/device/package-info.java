/**
 * Devices: the registry of the fleet, each device with its own did:key that signs its reports.
 */
@Export
@Version("1.2.0")
package org.updraft.api.device;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
