package org.updraft.rollout.internal;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.RegistryException;
import org.updraft.api.update.UpdateException;

/** The refusals the update service's parts share. */
final class UpdateRefusals {

    private UpdateRefusals() {
    }

    static UpdateException unavailable(String what, Exception e) {
        return new UpdateException("unavailable", what + " is unavailable: " + e.getMessage(), e);
    }

    /** The registered device, else {@code malformed}, {@code unknown-device} or {@code unavailable}. */
    static Device registered(DeviceRegistry registry, String deviceId) throws UpdateException {
        if (deviceId == null || deviceId.isEmpty()) {
            throw new UpdateException("malformed", "no device id");
        }
        try {
            return registry.find(deviceId).orElseThrow(() -> new UpdateException("unknown-device",
                    "device " + deviceId + " is not registered"));
        } catch (RegistryException e) {
            throw unavailable("the device registry", e);
        }
    }
}
