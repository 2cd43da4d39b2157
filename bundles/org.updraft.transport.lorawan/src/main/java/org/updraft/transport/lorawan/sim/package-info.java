/**
 * A simulated LoRaWAN network server (ChirpStack v4's MQTT integration) and its devices, on a real MQTT broker in
 * accelerated time, for demos and tests of the LoRaWAN transport: each device rebuilds the FUOTA data block with the
 * bundle's FEC decoder, verifies the platform's offer and the image as a real device must, and sends its signed
 * report back as uplinks.
 */
@Export
@Version("1.2.0")
package org.updraft.transport.lorawan.sim;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
