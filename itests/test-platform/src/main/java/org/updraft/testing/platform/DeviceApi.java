package org.updraft.testing.platform;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.update.UpdateService;
import org.updraft.testing.Configs;
import org.updraft.transport.coap.internal.CoapTransport;
import org.updraft.transport.coap.internal.CoapTransportConfig;

/**
 * The real CoAP device API (the transport bundle's {@link CoapTransport}) started outside OSGi: on 127.0.0.1 and a
 * free port unless the settings say otherwise, with the update service, the firmware store and the releases bound
 * as Declarative Services binds them.
 */
public final class DeviceApi implements AutoCloseable {

    private final CoapTransport transport;

    private DeviceApi(CoapTransport transport) {
        this.transport = transport;
    }

    /** Serves with the transport's defaults, on loopback and a free port, devices not registered on their own. */
    public static DeviceApi serve(UpdateService updates, FirmwareStore store, ReleaseService releases) {
        return serve(updates, store, releases, Map.of());
    }

    /**
     * Serves with the transport's configuration ({@code org.updraft.transport.coap}): its defaults, loopback and a
     * free port, unencrypted CoAP on ({@code plain.enabled}, off in a deployment) and no DTLS (its key file would be
     * under karaf.data), then {@code settings} (attribute or property names,
     * as {@link Configs#of} takes them): set {@code dtls_port} and {@code dtls_key_file} for DTLS.
     */
    public static DeviceApi serve(UpdateService updates, FirmwareStore store, ReleaseService releases,
            Map<String, ?> settings) {
        Map<String, Object> values = new HashMap<>();
        values.put("bind_address", "127.0.0.1");
        values.put("port", 0);
        values.put("plain_enabled", true);
        values.put("dtls_port", -1);
        values.putAll(settings);
        CoapTransport transport = new CoapTransport(Configs.of(CoapTransportConfig.class, values), updates);
        transport.bindStore(store);
        transport.bindReleases(releases);
        return new DeviceApi(transport);
    }

    public InetSocketAddress address() {
        return transport.address();
    }

    /** Where CoAP over DTLS listens (when the settings turned it on). */
    public InetSocketAddress dtlsAddress() {
        return transport.dtlsAddress();
    }

    /** The transport itself: a test tells it that answers changed, as the rollout engine's listener would. */
    public CoapTransport transport() {
        return transport;
    }

    @Override
    public void close() {
        transport.close();
    }
}
