/**
 * The device-facing payloads every transport carries (CoAP, MQTT, LoRaWAN) and their one verification on the
 * device: the answer to an update check ({@link UpdateAnswers}), what a device checks before it installs
 * ({@link OfferVerifier}), its signed status reports ({@link DeviceReports}) and self-signed enrollments
 * ({@link Enrollments}). docs/coap-api.md describes the bytes for firmware engineers.
 */
@Export
@Version("1.3.0")
package org.updraft.core.update;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
