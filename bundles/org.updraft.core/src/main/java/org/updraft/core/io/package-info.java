/**
 * File writing shared by the platform and the offline CLI.
 */
@Export
@Version("1.0.0")
package org.updraft.core.io;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
