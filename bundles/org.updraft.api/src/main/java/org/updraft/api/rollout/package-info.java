/**
 * Rollouts: a release delivered to a target set of devices in ordered waves that advance on success and pause
 * on errors. Every change of state is a ledger event.
 */
@Export
@Version("1.0.0")
package org.updraft.api.rollout;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
