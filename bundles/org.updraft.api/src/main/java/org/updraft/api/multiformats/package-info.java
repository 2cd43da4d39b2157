/**
 * Multiformats value types shared by the platform, the offline CLI and devices: CIDs, multibase
 * text encodings and unsigned varints, as the IPFS specifications define them.
 */
@Export
@Version("1.1.0")
package org.updraft.api.multiformats;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
