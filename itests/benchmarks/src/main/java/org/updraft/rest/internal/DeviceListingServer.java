package org.updraft.rest.internal;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import org.apache.cxf.jaxrs.servlet.CXFNonSpringJaxrsServlet;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.updraft.api.device.DeviceRegistry;

/**
 * For benchmark row 16b: the REST API over a device registry, served by CXF's JAX-RS servlet on Jetty 9.4 (what Pax
 * Web runs in Karaf) on 127.0.0.1, with one viewer token and no rate limit. In the API's package, as only the
 * benchmarks' plain classpath allows, because the API binds its services as Declarative Services does.
 */
public final class DeviceListingServer implements AutoCloseable {

    private final Server server;
    private final String token;

    public DeviceListingServer(DeviceRegistry registry, Path dir, int maxPage) throws Exception {
        ApiTokens tokens = new ApiTokens(dir.resolve("api-tokens.properties"));
        token = tokens.create("bench", Role.VIEWER);
        JaasRealm realm = new JaasRealm("karaf", "admin", "manager", "viewer");
        Limits limits = new Limits(65536, 1 << 20, maxPage, dir.resolve("uploads"));
        RestApi api = new RestApi(() -> realm, () -> limits, () -> 0, tokens);
        api.bindRegistry(registry);
        server = new Server(new InetSocketAddress("127.0.0.1", 0));
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new CXFNonSpringJaxrsServlet(api)), RestApi.BASE + "/*");
        server.setHandler(context);
        server.start();
    }

    /** The API's base URL, e.g. {@code http://127.0.0.1:PORT/api/v1}. */
    public String base() {
        return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + RestApi.BASE;
    }

    /** The viewer token, for {@code Authorization: Bearer}. */
    public String token() {
        return token;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
