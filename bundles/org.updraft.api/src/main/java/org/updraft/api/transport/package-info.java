/**
 * What a device transport (CoAP, MQTT, LoRaWAN) tells operators about itself: {@code updraft:status} lists every
 * {@link org.updraft.api.transport.TransportStatus} service, without knowing any transport's name.
 */
@Export
@Version("1.0.0")
package org.updraft.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
