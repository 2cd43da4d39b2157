package org.updraft.transport.ddi.internal;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.updraft.core.identity.SigningKey;

/**
 * The report keys of DDI devices. A DDI client has no key of its own, so the transport signs the reports it makes
 * of the device's feedback, each device with a key of its own (the registry gives every device its own key): an
 * Ed25519 key whose seed is the SHA-256 of the transport key's signature of the device id. Ed25519 signatures are
 * deterministic, so every node holding the transport key derives the same device keys, and nobody without it can.
 * A device is registered with its key's did:key ({@code updraft:ddi-device-key ID}); a device registered with any
 * other key signs its own reports, and the transport refuses to speak for it.
 */
final class DeviceKeys {

    private static final String CONTEXT = "updraft ddi device report key\0";
    private static final int KEPT = 10_000;

    private final SigningKey transportKey;
    private final Map<String, SigningKey> derived = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SigningKey> eldest) {
            return size() > KEPT;
        }
    };

    DeviceKeys(SigningKey transportKey) {
        this.transportKey = transportKey;
    }

    synchronized SigningKey of(String deviceId) {
        return derived.computeIfAbsent(deviceId, id -> {
            byte[] signature = transportKey.sign((CONTEXT + id).getBytes(StandardCharsets.UTF_8));
            return SigningKey.ed25519(ImageDigests.digest("SHA-256").digest(signature));
        });
    }

    /** The did:key of the transport's own key, which signs no report itself. */
    String transportDid() {
        return transportKey.did();
    }
}
