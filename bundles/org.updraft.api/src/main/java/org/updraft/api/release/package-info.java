/**
 * Releases: a signed manifest and its firmware image, verified, stored and recorded on the ledger.
 */
@Export
@Version("2.1.0")
package org.updraft.api.release;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
