/**
 * Which releases' images a firmware store may let go of: {@link org.updraft.core.retention.RetentionRule} is
 * the rule, {@link org.updraft.core.retention.ReleaseRetention} the service that applies it to a store
 * (the rollout bundle provides it) and {@link org.updraft.core.retention.RetentionReport} what it did.
 */
@Export
@Version("1.0.0")
package org.updraft.core.retention;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
