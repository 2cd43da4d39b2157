/**
 * Which backend serves each capability (store, ledger, trust, registry), for operators and status displays.
 */
@Export
@Version("1.0.0")
package org.updraft.api.backend;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
