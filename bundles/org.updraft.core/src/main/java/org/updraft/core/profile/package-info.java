/**
 * What device profile bundles share: the per-device-class settings a profile is configured with, one factory
 * configuration per class, and the refusals of a release whose class has no usable configuration.
 */
@Export
@Version("1.0.0")
package org.updraft.core.profile;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
