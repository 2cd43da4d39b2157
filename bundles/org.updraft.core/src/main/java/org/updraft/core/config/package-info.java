/**
 * Conventions shared by the components' configurations: paths under Karaf's data directory, lists and sizes.
 */
@Export
@Version("1.2.0")
package org.updraft.core.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
