/**
 * What a caller of the release service implements to follow a publish.
 */
@Export
@Version("1.0.0")
package org.updraft.api.release.progress;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
