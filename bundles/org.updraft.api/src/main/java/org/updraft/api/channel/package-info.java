/**
 * Release channels: a stable name per vendor, device class and channel ({@code stable}, {@code beta}, …) that
 * points at the signed manifest of the release the channel currently offers. On IPFS the name is an IPNS name,
 * so a device or mirror can follow a channel without asking the platform; every move of a channel is recorded
 * on the ledger.
 */
@Export
@Version("1.0.0")
package org.updraft.api.channel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
