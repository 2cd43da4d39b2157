package org.updraft.transport.lorawan.internal.chirpstack;

import java.util.Arrays;
import java.util.Objects;

/**
 * One uplink of a device as ChirpStack v4 publishes it on {@code application/{application_id}/device/{dev_eui}/
 * event/up}, reduced to what FUOTA uses: the application, the device's DevEUI (16 lower-case hex digits), the
 * frame counter, the port (0 for a frame without application payload) and the application payload.
 */
public record Uplink(String applicationId, String devEui, long fCnt, int fPort, byte[] data) {

    public Uplink {
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(devEui, "devEui");
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Uplink u && u.applicationId.equals(applicationId) && u.devEui.equals(devEui)
                && u.fCnt == fCnt && u.fPort == fPort && Arrays.equals(u.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(applicationId, devEui, fCnt, fPort, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "Uplink[" + devEui + " fCnt " + fCnt + " fPort " + fPort + ", " + data.length + " bytes]";
    }
}
