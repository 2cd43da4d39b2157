/**
 * Which releases' images a firmware store may let go of: {@link org.updraft.api.retention.ReleaseRetention} is the
 * service that applies the platform's retention rule to the serving store (the rollout bundle provides it) and
 * {@link org.updraft.api.retention.RetentionReport} what it did.
 */
@Export
@Version("1.1.0")
package org.updraft.api.retention;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
