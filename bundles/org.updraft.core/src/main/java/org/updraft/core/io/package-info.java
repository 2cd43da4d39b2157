/**
 * File writing and read-only channels, shared by the platform and the offline CLI.
 */
@Export
@Version("1.1.0")
package org.updraft.core.io;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
