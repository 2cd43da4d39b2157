/**
 * Payload schemas of the ledger's event types, shared by the platform, auditors and devices (a device reads
 * the {@code release.published} event whose inclusion it checks).
 */
@Export
@Version("2.2.0")
package org.updraft.core.event;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
