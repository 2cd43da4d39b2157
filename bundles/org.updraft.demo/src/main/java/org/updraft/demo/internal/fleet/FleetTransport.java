package org.updraft.demo.internal.fleet;

import java.util.Locale;

/** How a simulated fleet reaches the platform. */
public enum FleetTransport {
    /** Every device over CoAP. */
    COAP,
    /** Every device over MQTT 5, each with its own connection to the broker. */
    MQTT,
    /** A mixed fleet: every second device over MQTT (the 2nd, 4th, ...), the others over CoAP. */
    BOTH;

    /** Whether the device at {@code index} in the fleet speaks MQTT. */
    boolean mqtt(int index) {
        return this == MQTT || this == BOTH && index % 2 == 1;
    }

    public boolean usesCoap() {
        return this != MQTT;
    }

    public boolean usesMqtt() {
        return this != COAP;
    }

    /**
     * The one parser of a transport's name: {@code coap}, {@code mqtt} or {@code both}.
     *
     * @throws IllegalArgumentException naming the choices
     */
    public static FleetTransport of(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("the transport is coap, mqtt or both, not '" + name + "'");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
