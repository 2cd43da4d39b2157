package org.updraft.testing.platform;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.update.UpdateService;
import org.updraft.testing.Configs;
import org.updraft.transport.mqtt.internal.MqttTransport;
import org.updraft.transport.mqtt.internal.MqttTransportConfig;

/**
 * The real MQTT device API (the transport bundle's {@link MqttTransport}) started outside OSGi as a client of a
 * test's broker, with the update service, the firmware store and the releases bound as Declarative Services binds
 * them. {@link #serve} returns once the transport is subscribed to the request topics, so no device request is lost.
 */
public final class MqttDeviceApi implements AutoCloseable {

    private static final Duration READY_WITHIN = Duration.ofSeconds(15);

    private final MqttTransport transport;

    private MqttDeviceApi(MqttTransport transport) {
        this.transport = transport;
    }

    /**
     * Serves through the broker at {@code brokerUri} with the transport's configuration
     * ({@code org.updraft.transport.mqtt}): its defaults, then {@code settings} (attribute or property names, as
     * {@link Configs#of} takes them).
     *
     * @throws IllegalStateException when the transport is not subscribed within 15 s
     */
    public static MqttDeviceApi serve(String brokerUri, UpdateService updates, FirmwareStore store,
            ReleaseService releases, Map<String, ?> settings) throws InterruptedException {
        Map<String, Object> values = new HashMap<>();
        values.put("broker.uri", brokerUri);
        values.putAll(settings);
        MqttTransport transport = new MqttTransport(Configs.of(MqttTransportConfig.class, values), updates);
        transport.bindStore(store);
        transport.bindReleases(releases);
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (!transport.isReady()) {
            if (System.nanoTime() > deadline) {
                String status = transport.status();
                transport.close();
                throw new IllegalStateException("the MQTT transport is not ready within " + READY_WITHIN + ": "
                        + status);
            }
            Thread.sleep(20);
        }
        return new MqttDeviceApi(transport);
    }

    /** The transport itself: a test tells it that answers changed, as the rollout engine's listener would. */
    public MqttTransport transport() {
        return transport;
    }

    @Override
    public void close() {
        transport.close();
    }
}
