package org.updraft.registry.jdbc.internal;

import java.time.Instant;
import java.util.Set;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

/** Devices for tests, each with a key of its own. */
final class Devices {

    static final Instant REGISTERED = Instant.parse("2025-03-01T10:15:30.123456Z");

    private Devices() {
    }

    static String newDid() {
        return SigningKey.generate(KeyAlgorithm.ED25519).did();
    }

    static Device device(String id, String deviceClass, String region, Set<String> tags, String version) {
        return new Device(id, newDid(), "acme", deviceClass, "esp32", tags, region, version, 1, DeviceState.IDLE, null,
                REGISTERED);
    }

    static Device device(String id) {
        return device(id, "sensor-v2", "eu-west", Set.of(), "1.0.0");
    }
}
