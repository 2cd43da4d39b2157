/**
 * What transports implement to hear about changed answers: the update service's listeners (whiteboard).
 */
@Export
@Version("1.0.0")
package org.updraft.api.update.listener;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
