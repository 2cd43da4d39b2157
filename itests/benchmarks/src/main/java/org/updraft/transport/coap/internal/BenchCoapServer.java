package org.updraft.transport.coap.internal;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.Map;

import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.update.UpdateService;

/**
 * Updraft's real CoAP transport started outside OSGi for the benchmarks, on 127.0.0.1 and a free port, with the
 * services bound as Declarative Services would bind them. Its binders are package-private, so this class sits in
 * the transport's package on the benchmark's plain classpath.
 */
public final class BenchCoapServer implements AutoCloseable {

    private final CoapTransport transport;

    public BenchCoapServer(UpdateService updates, FirmwareStore store, ReleaseService releases) {
        Map<String, Object> settings = Map.of("bind_address", "127.0.0.1", "port", 0, "auto_register", false);
        CoapTransportConfig config = (CoapTransportConfig) Proxy.newProxyInstance(
                CoapTransportConfig.class.getClassLoader(), new Class<?>[] {CoapTransportConfig.class},
                (proxy, method, args) -> method.getName().equals("annotationType") ? CoapTransportConfig.class
                        : settings.getOrDefault(method.getName(), method.getDefaultValue()));
        transport = new CoapTransport(config, updates);
        transport.bindStore(store);
        transport.bindReleases(releases);
    }

    public InetSocketAddress address() {
        return transport.address();
    }

    @Override
    public void close() {
        transport.close();
    }
}
