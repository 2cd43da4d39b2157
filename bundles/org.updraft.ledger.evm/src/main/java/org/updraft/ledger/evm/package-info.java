/**
 * Where the ledger's events stand on an EVM chain: releases, trust changes and log checkpoints anchored by the
 * {@code ledger.kind=evm} backend, for auditors, devices and shell commands.
 */
@Export
@Version("2.0.0")
package org.updraft.ledger.evm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
