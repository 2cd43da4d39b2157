/**
 * Rollout rules anyone can recompute from the ledger and the fleet: which wave of a rollout takes a device.
 * The platform, an auditor and a device use the same definition.
 */
@Export
@Version("1.0.0")
package org.updraft.core.rollout;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
