/**
 * How the platform's transports reach a message broker: the credentials and TLS trust they are configured with,
 * read the same way by every transport that connects to one (MQTT devices, a LoRaWAN network server's integration).
 */
@Export
@Version("1.0.0")
package org.updraft.core.net;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
