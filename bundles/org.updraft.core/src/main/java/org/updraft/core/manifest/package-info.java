/**
 * Signed release manifests and the one definition of a valid release, shared by the platform, the offline
 * CLI and the device agent: {@link org.updraft.core.manifest.ManifestVerifier}.
 */
@Export
@Version("1.1.0")
package org.updraft.core.manifest;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
