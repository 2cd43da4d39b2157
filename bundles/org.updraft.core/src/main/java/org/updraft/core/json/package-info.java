/**
 * A small JSON reader (RFC 8259) for the few JSON texts the platform reads: Kubo's RPC answers, Mender's metadata
 * files. One reader, so that one set of rules (strict UTF-8, bounded nesting, no duplicate members) holds for all.
 */
@Export
@Version("1.0.0")
package org.updraft.core.json;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
