package org.updraft.transport.coap.internal;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.Map;

import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.update.UpdateService;

/**
 * The real CoAP transport, started outside OSGi for the device agent's tests: on loopback, a free port, with the
 * given update service, firmware store and releases bound as Declarative Services would bind them.
 */
public final class CoapServerFixture implements AutoCloseable {

    private final CoapTransport transport;

    public CoapServerFixture(UpdateService updates, FirmwareStore store, ReleaseService releases,
            boolean autoRegister) {
        Map<String, Object> settings = Map.of("bind_address", "127.0.0.1", "port", 0, "auto_register", autoRegister);
        CoapTransportConfig config = (CoapTransportConfig) Proxy.newProxyInstance(
                CoapTransportConfig.class.getClassLoader(), new Class<?>[] {CoapTransportConfig.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return CoapTransportConfig.class;
                    }
                    Object value = settings.get(method.getName());
                    return value != null ? value : method.getDefaultValue();
                });
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
