/**
 * Manufacturer identities (did:key) that the platform and devices trust to sign releases.
 */
@Export
@Version("2.1.0")
package org.updraft.api.trust;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
