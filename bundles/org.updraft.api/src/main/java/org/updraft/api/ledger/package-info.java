/**
 * The append-only ledger: every release, trust decision, rollout step and device report is an
 * event in an RFC 9162 Merkle tree that devices verify with the log's public key alone.
 */
@Export
@Version("2.5.0")
package org.updraft.api.ledger;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
