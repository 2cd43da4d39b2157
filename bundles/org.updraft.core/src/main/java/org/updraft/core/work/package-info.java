/**
 * Named, bounded executors for the background and scheduled work of the platform's components, and the one way
 * they stop.
 */
@Export
@Version("1.2.0")
package org.updraft.core.work;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
