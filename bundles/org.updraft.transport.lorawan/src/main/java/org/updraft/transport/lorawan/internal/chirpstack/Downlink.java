package org.updraft.transport.lorawan.internal.chirpstack;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * One downlink to enqueue for a device through ChirpStack v4's MQTT integration: published as JSON
 * ({@code devEui}, {@code confirmed}, {@code fPort}, base64 {@code data}) on {@link #topic()}.
 */
public record Downlink(String applicationId, String devEui, boolean confirmed, int fPort, byte[] data) {

    /** The application ports of LoRaWAN; 0 carries MAC commands, 224 and above are reserved. */
    public static final int MAX_APPLICATION_PORT = 223;

    /**
     * @throws IllegalArgumentException for an application id or DevEUI that cannot be a topic level, a port
     *     outside 1..223 or a payload larger than any LoRaWAN frame carries
     */
    public Downlink {
        applicationId = ChirpstackTopics.requireApplicationId(applicationId);
        devEui = ChirpstackTopics.requireDevEui(devEui);
        if (fPort < 1 || fPort > MAX_APPLICATION_PORT) {
            throw new IllegalArgumentException("a downlink's fPort must be 1 to " + MAX_APPLICATION_PORT + ", not "
                    + fPort);
        }
        if (data.length > ChirpstackTopics.MAX_FRAME_PAYLOAD) {
            throw new IllegalArgumentException("a downlink of " + data.length + " bytes is larger than any LoRaWAN "
                    + "frame payload (" + ChirpstackTopics.MAX_FRAME_PAYLOAD + ")");
        }
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** {@code application/{application_id}/device/{dev_eui}/command/down}. */
    public String topic() {
        return ChirpstackTopics.commandTopic(applicationId, devEui, "down");
    }

    /** The JSON ChirpStack enqueues; every value is hex, base64, a number or a boolean, so nothing needs escaping. */
    public String json() {
        return "{\"devEui\":\"" + devEui + "\",\"confirmed\":" + confirmed + ",\"fPort\":" + fPort + ",\"data\":\""
                + Base64.getEncoder().encodeToString(data) + "\"}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Downlink d && d.applicationId.equals(applicationId) && d.devEui.equals(devEui)
                && d.confirmed == confirmed && d.fPort == fPort && Arrays.equals(d.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(applicationId, devEui, confirmed, fPort, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "Downlink[" + devEui + " fPort " + fPort + (confirmed ? " confirmed" : "") + ", " + data.length
                + " bytes]";
    }
}
