/**
 * Conventions shared by the components' configurations.
 */
@Export
@Version("1.0.0")
package org.updraft.core.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
