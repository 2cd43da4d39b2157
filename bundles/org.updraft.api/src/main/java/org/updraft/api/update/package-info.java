/**
 * What transports (CoAP, MQTT, LoRaWAN) call: update decisions for a device, its signed reports, and
 * enrollment. The payloads' bytes are defined in {@code org.updraft.core.update} and shared by every transport.
 */
@Export
@Version("3.4.0")
package org.updraft.api.update;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
