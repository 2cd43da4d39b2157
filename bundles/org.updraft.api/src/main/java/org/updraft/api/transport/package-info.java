/**
 * What a device transport (CoAP, MQTT, LoRaWAN) tells operators about itself: {@code updraft:status} lists every
 * {@link org.updraft.api.transport.TransportStatus} service, without knowing any transport's name. A transport that
 * listens for devices also says where, and which server key they pin ({@link
 * org.updraft.api.transport.DeviceEndpoints}).
 */
@Export
@Version("1.1.0")
package org.updraft.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
