package org.updraft.transport.ddi.internal;

import java.io.ByteArrayInputStream;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.h2.Driver;
import org.h2.util.OsgiDataSourceFactory;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.registry.jdbc.internal.JdbcDeviceRegistry;
import org.updraft.registry.jdbc.internal.JdbcRegistryConfig;
import org.updraft.rollout.internal.PlatformRolloutService;
import org.updraft.rollout.internal.PlatformUpdateService;
import org.updraft.rollout.internal.RolloutEngineComponent;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/**
 * One platform node on real components (local ledger, trust store and release service on it, the JDBC registry on
 * H2, the rollout engine under the rollout and update services, the local store) with the DDI transport's servlet
 * served by a real Jetty on 127.0.0.1, at /DEFAULT/controller/v1/* as the HTTP whiteboard serves it in Karaf.
 */
final class DdiTestPlatform implements AutoCloseable {

    static final String VENDOR = "acme";
    static final String CLASS = "camera";

    final SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
    final FileLedger ledger;
    final LedgerTrustStore trust;
    final PlatformReleaseService releases;
    final JdbcDeviceRegistry registry;
    final RolloutEngineComponent engine;
    final PlatformUpdateService updates;
    final PlatformRolloutService rollouts;
    final LocalFirmwareStore store;
    final DdiTransport transport;
    final Server server;
    final int port;
    final HttpClient http = HttpClient.newHttpClient();

    /**
     * @param tokens controllerId=token of the target tokens file
     * @param settings more settings of the transport
     */
    DdiTestPlatform(Path dir, Map<String, String> tokens, String gatewayToken, Map<String, Object> settings)
            throws Exception {
        ledger = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        trust = new LedgerTrustStore(ledger);
        trust.register(vendorKey.did(), VENDOR, Set.of());
        releases = new PlatformReleaseService(ledger, trust);
        registry = new JdbcDeviceRegistry(Configs.of(JdbcRegistryConfig.class,
                Map.of("url", "jdbc:h2:file:" + dir.resolve("devices"))), new OsgiDataSourceFactory(new Driver()));
        engine = new RolloutEngineComponent(Configs.defaults(RolloutEngineComponent.Config.class), ledger, registry);
        updates = new PlatformUpdateService(Configs.of(PlatformUpdateService.Config.class,
                Map.of("statement.key.file", dir.resolve("statement-key.pem").toString())), engine, releases, trust);
        rollouts = new PlatformRolloutService(engine, releases, trust);
        store = new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", dir.resolve("store").toString(), "fsync", false)));
        StringBuilder lines = new StringBuilder();
        tokens.forEach((device, token) -> lines.append(device).append('=').append(token).append('\n'));
        Path tokensFile = Files.writeString(dir.resolve("ddi-tokens.properties"), lines);
        Map<String, Object> config = new HashMap<>();
        config.put("target.tokens.file", tokensFile.toString());
        config.put("key.file", dir.resolve("ddi-key.pem").toString());
        if (gatewayToken != null) {
            config.put("gateway.token.file", Files.writeString(dir.resolve("gateway-token"), gatewayToken + "\n")
                    .toString());
        }
        config.putAll(settings);
        transport = new DdiTransport(Configs.of(DdiConfig.class, config), updates);
        transport.bindStore(store);
        transport.bindRegistry(registry);
        transport.bindRollouts(rollouts);
        server = new Server(new InetSocketAddress("127.0.0.1", 0));
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(transport.servlet()), "/DEFAULT/controller/v1/*");
        server.setHandler(context);
        server.start();
        port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Stores the image and publishes it as release {@code acme/camera/sequence}, version 2.0.{sequence}. */
    Release publish(byte[] image, long sequence) throws Exception {
        Cid cid = store.put(new ByteArrayInputStream(image)).cid();
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(image);
        Instant now = Instant.now();
        Manifest m = new Manifest(VENDOR, CLASS, null, "2.0." + sequence, sequence, image.length, sha, cid, null, now,
                vendorKey.did());
        byte[] signed = ManifestCodec.sign(m, vendorKey);
        ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, now, vendorKey.did(),
                ReleaseEvents.published(ManifestCodec.parse(signed)), null));
        return releases.find(m.releaseId()).orElseThrow();
    }

    /** Registers a device of the class running 1.0.0 (sequence 1) with the given key: the DDI report key for DDI. */
    void register(String deviceId, String key) throws Exception {
        registry.register(new Device(deviceId, key, VENDOR, CLASS, null, Set.of(), null, "1.0.0", 1,
                DeviceState.IDLE, null, Instant.now()));
    }

    /** Creates and starts a one-wave rollout of the release to every device of its class. */
    Rollout rollout(Release release) throws Exception {
        Rollout created = rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(
                new WaveSpec("all", new WaveSelector.Percent(100), 100, 100, false, null, 0))), "test");
        return rollouts.start(created.id(), "test");
    }

    HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)))
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .header("Content-Type", "application/json");
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Override
    public void close() throws Exception {
        server.stop();
        transport.close();
        deactivate(updates, "deactivate");
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
