package org.updraft.rest.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

import org.apache.cxf.jaxrs.servlet.CXFNonSpringJaxrsServlet;
import org.apache.karaf.jaas.modules.properties.PropertiesLoginModule;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.h2.Driver;
import org.h2.util.OsgiDataSourceFactory;
import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.registry.jdbc.internal.JdbcDeviceRegistry;
import org.updraft.registry.jdbc.internal.JdbcRegistryConfig;
import org.updraft.rollout.internal.PlatformRolloutService;
import org.updraft.rollout.internal.RolloutEngineComponent;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One platform node on real components (local ledger, trust store and release service on it with the local store,
 * the JDBC registry on H2, the rollout engine and service) with the REST API's application served by CXF's JAX-RS
 * servlet on a real Jetty on 127.0.0.1 at /api/v1, as the JAX-RS whiteboard serves it in Karaf. Users log in through
 * Karaf's own properties login module over a users file of the test's, as the karaf realm does.
 */
final class RestTestPlatform implements AutoCloseable {

    static final String VENDOR = "acme";
    static final String CLASS = "camera";
    static final String PASSWORD = "s3cret pass";

    final SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
    final Path dir;
    final FileLedger ledger;
    final LedgerTrustStore trust;
    final PlatformReleaseService releases;
    final JdbcDeviceRegistry registry;
    final RolloutEngineComponent engine;
    final PlatformRolloutService rollouts;
    final LocalFirmwareStore store;
    final ApiTokens tokens;
    final RestApi api;
    final Server server;
    final int port;
    final HttpClient http = HttpClient.newHttpClient();

    RestTestPlatform(Path dir, int requestsPerSecond) throws Exception {
        this.dir = dir;
        ledger = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        trust = new LedgerTrustStore(ledger);
        trust.register(vendorKey.did(), VENDOR, Set.of());
        store = new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", dir.resolve("store").toString(), "fsync", false)));
        releases = new PlatformReleaseService(ledger, trust, store);
        registry = new JdbcDeviceRegistry(Configs.of(JdbcRegistryConfig.class,
                Map.of("url", "jdbc:h2:file:" + dir.resolve("devices"))), new OsgiDataSourceFactory(new Driver()));
        engine = new RolloutEngineComponent(Configs.defaults(RolloutEngineComponent.Config.class), ledger, registry);
        rollouts = new PlatformRolloutService(engine, releases, trust);

        Path users = Files.writeString(dir.resolve("users.properties"), String.join("\n",
                "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh",
                "alice = " + PASSWORD + ",_g_:admingroup",
                "olga = " + PASSWORD + ",manager",
                "vera = " + PASSWORD + ",viewer",
                "nora = " + PASSWORD + ",ssh", ""));
        Map<String, Object> options = new HashMap<>();
        options.put("users", users.toString());
        Configuration.setConfiguration(new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return name.equals("karaf") ? new AppConfigurationEntry[] {new AppConfigurationEntry(
                        PropertiesLoginModule.class.getName(),
                        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options)} : null;
            }
        });

        RestConfig config = Configs.of(RestConfig.class, Map.of("max.requests.per.second", requestsPerSecond));
        tokens = new ApiTokens(dir.resolve("api-tokens.properties"));
        JaasRealm realm = new JaasRealm("karaf", "admin", "manager", "viewer");
        Limits limits = new Limits(config.max_request_bytes(), 1 << 20, config.max_page(), dir.resolve("uploads"));
        api = new RestApi(() -> realm, () -> limits, config::max_requests_per_second, tokens);
        api.bindReleases(releases);
        api.bindRollouts(rollouts);
        api.bindRegistry(registry);
        api.bindLedger(ledger);
        api.bindTrust(trust);
        api.bindServingStore(store);
        api.bindStore(store);

        server = new Server(new InetSocketAddress("127.0.0.1", 0));
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new CXFNonSpringJaxrsServlet(api)), RestApi.BASE + "/*");
        server.setHandler(context);
        server.start();
        port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    /** An image and its signed manifest for release {@code acme/camera/sequence}. */
    record Signed(byte[] manifest, byte[] image) {
    }

    Signed sign(long sequence, int size) throws Exception {
        byte[] image = new byte[size];
        new java.util.Random(sequence).nextBytes(image);
        Manifest m = new Manifest(VENDOR, CLASS, null, "2.0." + sequence, sequence, image.length,
                MessageDigest.getInstance("SHA-256").digest(image),
                UnixFsImporter.cid(new ByteArrayInputStream(image), CidOptions.DEFAULT).cid(), null, Instant.now(),
                vendorKey.did());
        return new Signed(ManifestCodec.sign(m, vendorKey), image);
    }

    static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    static String bearer(String token) {
        return "Bearer " + token;
    }

    HttpResponse<byte[]> get(String path, String authorization, String... headers) throws Exception {
        HttpRequest.Builder b = request(path, authorization, headers).GET();
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> send(String method, String path, String authorization, String json, String... headers)
            throws Exception {
        HttpRequest.Builder b = request(path, authorization, headers).method(method, json == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A release upload as curl -F sends it: multipart/form-data with parts manifest and image. */
    HttpResponse<byte[]> publish(String authorization, Signed release) throws Exception {
        String boundary = "----updraft" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        part(body, boundary, "manifest", "manifest.cose", release.manifest());
        part(body, boundary, "image", "firmware.bin", release.image());
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpRequest.Builder b = request("/releases", authorization)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void part(ByteArrayOutputStream body, String boundary, String name, String file, byte[] content)
            throws Exception {
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + file
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.write(content);
        body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private HttpRequest.Builder request(String path, String authorization, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + RestApi.BASE + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        return b;
    }

    static JsonNode json(HttpResponse<byte[]> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    /** The ledger's events' types and operators, in order. */
    List<String> ledgerLines() throws Exception {
        List<String> lines = new ArrayList<>();
        for (var e : ledger.read(0, 10_000)) {
            String state = Views.rolloutState(e.event());
            lines.add(e.event().type() + (state == null ? "" : " " + state) + " by " + Views.by(e.event()));
        }
        return lines;
    }

    @Override
    public void close() throws Exception {
        server.stop();
        engine.close();
        deactivate(registry, "deactivate");
        store.close();
        ledger.close();
    }

    private static void deactivate(Object component, String method) throws Exception {
        Method m = component.getClass().getDeclaredMethod(method);
        m.setAccessible(true);
        m.invoke(component);
    }
}
