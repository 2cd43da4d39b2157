package org.updraft.benchmarks;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;

import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.store.StoredObject;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.testing.platform.MqttDeviceApi;
import org.updraft.transport.coap.internal.DtlsEndpoints;
import org.updraft.testing.platform.TestPlatform;

/**
 * The server side of rows 3, 5 and 12 in its own JVM, so that its heap is measured alone (rows 5 and 12 start it
 * with {@code -Xmx512m}): either Updraft's platform on real components (the local ledger with fsync, the ledger
 * trust store and release index, the rollout and update services, the local firmware store and the CoAP transport,
 * or for row 12 the MQTT transport as a client of a broker instead; only the device registry is in memory, where a
 * database would be), or, as row 3's reference, a bare Californium resource answering every GET with one fixed
 * payload.
 *
 * <p>It talks over standard input and output, one line each way:
 * <pre>
 * java ... FleetServer platform DIR IMAGE-BYTES  -> READY port log-key-did manufacturer-did
 * java ... FleetServer platform-dtls DIR IMAGE-BYTES -> READY dtls-port log-key-did manufacturer-did dtls-key-did
 * java ... FleetServer platform-mqtt DIR IMAGE-BYTES BROKER-URI -> READY broker-port log-key-did manufacturer-did
 * java ... FleetServer bare PAYLOAD-FILE         -> READY port
 * java ... FleetServer bare-dtls PAYLOAD-FILE    -> READY dtls-port dtls-key-did
 *   REGISTER devices-file   (lines "id did"; then a rollout of the release to all of them starts) -> STARTED id
 *   PROGRESS                -> PROGRESS offered installed failed-or-rolled-back
 *   HEAP                    -> HEAP peak-used-bytes largest-live-after-gc-bytes max-bytes
 *   STATUS                  -> STATUS the CoAP transport's line in updraft:status
 *   STOP (or end of input)  -> the server stops and the JVM exits
 * </pre>
 */
public final class FleetServer {

    static final String VENDOR = "acme";
    static final String CLASS = "thermo-v2";

    private FleetServer() {
    }

    public static void main(String[] args) throws Exception {
        watchHeap();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (args.length == 2 && (args[0].equals("bare") || args[0].equals("bare-dtls"))) {
            SigningKey dtlsKey = args[0].equals("bare-dtls") ? SigningKey.generate(KeyAlgorithm.P256) : null;
            CoapServer server = bare(Files.readAllBytes(Path.of(args[1])), dtlsKey);
            try {
                System.out.println("READY " + server.getEndpoints().get(0).getAddress().getPort()
                        + (dtlsKey == null ? "" : " " + dtlsKey.did()));
                serve(in, null);
            } finally {
                server.destroy();
            }
            return;
        }
        boolean mqtt = args.length == 4 && args[0].equals("platform-mqtt");
        boolean dtls = args.length == 3 && args[0].equals("platform-dtls");
        if (!(args.length == 3 && args[0].equals("platform") || mqtt || dtls)) {
            System.err.println("usage: FleetServer platform|platform-dtls DIR IMAGE-BYTES | FleetServer platform-mqtt "
                    + "DIR IMAGE-BYTES BROKER-URI | FleetServer bare|bare-dtls PAYLOAD-FILE");
            System.exit(2);
        }
        try (Platform platform = new Platform(Path.of(args[1]), Integer.parseInt(args[2]), mqtt ? args[3] : null,
                dtls)) {
            int port = mqtt ? java.net.URI.create(args[3]).getPort()
                    : dtls ? platform.node.deviceApi().dtlsAddress().getPort()
                    : platform.node.deviceApi().address().getPort();
            System.out.println("READY " + port + " " + platform.node.ledger().logKey() + " "
                    + platform.manufacturer.did() + (dtls ? " " + platform.node.deviceApi().transport().dtlsKey() : ""));
            serve(in, platform);
        }
    }

    private static void serve(BufferedReader in, Platform platform) throws Exception {
        for (String line = in.readLine(); line != null && !line.equals("STOP"); line = in.readLine()) {
            String[] words = line.split(" ");
            switch (words[0]) {
                case "REGISTER" -> System.out.println("STARTED " + platform.rollOut(Path.of(words[1])));
                case "PROGRESS" -> {
                    WaveProgress w = platform.rollouts.progress(platform.rolloutId).waves().get(0);
                    System.out.println("PROGRESS " + w.offered() + " " + w.installed() + " " + (w.failed()
                            + w.rolledBack()));
                }
                case "HEAP" -> System.out.println("HEAP " + heap());
                case "STATUS" -> System.out.println("STATUS " + platform.node.deviceApi().transport().status());
                default -> System.out.println("ERROR unknown command '" + words[0] + "'");
            }
        }
    }

    /**
     * The heap's fullest (the total used just before a collection, the highest seen; between collections it only
     * grows) and its largest live set (the total used just after a collection, the highest seen), from the
     * collectors' notifications; and the maximum (-Xmx).
     */
    private static String heap() {
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return Math.max(HEAP_PEAK.get(), used) + " " + HEAP_LIVE.get() + " " + Runtime.getRuntime().maxMemory();
    }

    private static final AtomicLong HEAP_PEAK = new AtomicLong();
    private static final AtomicLong HEAP_LIVE = new AtomicLong();

    /** Follows every collection of the heap's collectors. */
    private static void watchHeap() {
        Set<String> heapPools = new java.util.HashSet<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
                if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                    return;
                }
                GcInfo info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData())
                        .getGcInfo();
                HEAP_PEAK.accumulateAndGet(total(info.getMemoryUsageBeforeGc(), heapPools), Math::max);
                HEAP_LIVE.accumulateAndGet(total(info.getMemoryUsageAfterGc(), heapPools), Math::max);
            }, null, null);
        }
    }

    private static long total(Map<String, MemoryUsage> usage, Set<String> pools) {
        long sum = 0;
        for (Map.Entry<String, MemoryUsage> e : usage.entrySet()) {
            if (pools.contains(e.getKey())) {
                sum += e.getValue().getUsed();
            }
        }
        return sum;
    }

    /**
     * Row 3's reference: Californium with the same settings as Updraft's transport, one fixed answer; over DTLS with
     * {@code dtlsKey}, with the transport's own DTLS settings (any client key, HelloVerify on).
     */
    private static CoapServer bare(byte[] payload, SigningKey dtlsKey) {
        Configuration config = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS,
                SystemConfig.DEFINITIONS, DtlsConfig.DEFINITIONS);
        CoapServer server = new CoapServer(config);
        InetSocketAddress bind = new InetSocketAddress("127.0.0.1", 0);
        CoapEndpoint.Builder endpoint = new CoapEndpoint.Builder().setConfiguration(config);
        server.addEndpoint(dtlsKey == null ? endpoint.setInetSocketAddress(bind).build()
                : endpoint.setConnector(new DTLSConnector(DtlsEndpoints.server(config, bind, dtlsKey))).build());
        server.add(new CoapResource("check") {
            @Override
            public void handleGET(CoapExchange exchange) {
                exchange.respond(ResponseCode.CONTENT, payload, MediaTypeRegistry.APPLICATION_CBOR);
            }

            @Override
            public Resource getChild(String name) {
                return this; // /check/{device-id} answers the same for every device
            }
        });
        server.start();
        return server;
    }

    /**
     * Updraft's platform on real components, one release of a random image published; devices reach it over CoAP,
     * or over MQTT through a broker when one is given.
     */
    static final class Platform implements AutoCloseable {
        final SigningKey manufacturer = SigningKey.generate(KeyAlgorithm.ED25519);
        final FleetRegistry registry = new FleetRegistry();
        final TestPlatform node;
        final RolloutService rollouts;
        final String releaseId;
        private final MqttDeviceApi mqtt;
        String rolloutId;

        Platform(Path dir, int imageSize, String brokerUri, boolean dtls) throws Exception {
            // durable, as in production: every append and every object is on disk before it is acknowledged
            TestPlatform.Builder builder = TestPlatform.builder(dir).durable().rollouts(registry);
            // over DTLS as deployed: the plain port off, every request bound to the device's key
            Map<String, Object> coap = dtls ? Map.of("plain_enabled", false, "dtls_port", 0, "dtls_key_file",
                    dir.resolve("dtls-key.pem").toString()) : Map.of();
            node = (brokerUri == null ? builder.deviceApi(coap) : builder).start();
            try {
                node.trust().register(manufacturer.did(), VENDOR, Set.of());
                byte[] image = new byte[imageSize];
                new Random(imageSize).nextBytes(image);
                byte[] sha = ImageFacts.newDigest().digest(image);
                StoredObject stored = node.store().put(new ByteArrayInputStream(image));
                Manifest m = new Manifest(VENDOR, CLASS, null, "2.0.0", 2, image.length, sha, stored.cid(), null,
                        Instant.now(), manufacturer.did());
                byte[] signed = ManifestCodec.sign(m, manufacturer);
                node.ledger().append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.now(), manufacturer.did(),
                        ReleaseEvents.published(ManifestCodec.parse(signed)), null));
                releaseId = m.releaseId();
                rollouts = node.rollouts().rollouts();
                if (brokerUri == null) {
                    mqtt = null;
                } else {
                    // the transport's defaults, as a deployment that only names its broker would have them
                    mqtt = MqttDeviceApi.serve(brokerUri, node.rollouts().updates(), node.store(), node.releases(),
                            Map.of());
                    // as the transport registers its listener once active: a device's retained offer follows changes
                    node.rollouts().addListener(mqtt.transport()::answersChanged);
                }
            } catch (Exception e) {
                node.close();
                throw e;
            }
        }

        /** Registers the devices of the file and starts one rollout of the release to all of them. */
        String rollOut(Path devicesFile) throws Exception {
            List<Device> devices = new ArrayList<>();
            Instant now = Instant.now();
            for (String line : Files.readAllLines(devicesFile)) {
                String[] f = line.split(" ");
                devices.add(new Device(f[0], f[1], VENDOR, CLASS, null, Set.of(), null, "1.0.0", 1, DeviceState.IDLE,
                        null, now));
            }
            registry.registerAll(devices);
            Rollout r = rollouts.create(new RolloutSpec(releaseId, DeviceFilter.ALL, List.of(new WaveSpec("all",
                    new WaveSelector.Percent(100), 100, 100, false, null, 0))), "bench");
            rollouts.start(r.id(), "bench");
            rolloutId = r.id();
            return r.id();
        }

        @Override
        public void close() throws Exception {
            if (mqtt != null) {
                mqtt.close();
            }
            node.close();
        }
    }

    /** The device registry, in memory (a database in production, outside this JVM's heap). */
    static final class FleetRegistry implements DeviceRegistry {
        private final ConcurrentSkipListMap<String, Device> devices = new ConcurrentSkipListMap<>();

        @Override
        public Device register(Device device) throws RegistryException {
            if (devices.putIfAbsent(device.id(), device) != null) {
                throw new RegistryException("exists", "device " + device.id() + " is already registered");
            }
            return device;
        }

        @Override
        public void registerAll(List<Device> list) throws RegistryException {
            for (Device d : list) {
                register(d);
            }
        }

        @Override
        public Optional<Device> find(String id) {
            return Optional.ofNullable(devices.get(id));
        }

        @Override
        public List<Device> list(DeviceFilter filter, String afterId, int limit) {
            List<Device> page = new ArrayList<>();
            for (Device d : (afterId == null ? devices : devices.tailMap(afterId, false)).values()) {
                if (matches(filter, d)) {
                    page.add(d);
                    if (page.size() == limit) {
                        break;
                    }
                }
            }
            return page;
        }

        @Override
        public long count(DeviceFilter filter) {
            return devices.values().stream().filter(d -> matches(filter, d)).count();
        }

        @Override
        public Device recordState(String id, DeviceState state, String version, long sequence, Instant at)
                throws RegistryException {
            Device d = devices.computeIfPresent(id, (k, old) -> old.withState(state, version, sequence, at));
            if (d == null) {
                throw new RegistryException("unknown-device", "no device " + id);
            }
            return d;
        }

        @Override
        public void recordSeen(String id, Instant at) {
            devices.computeIfPresent(id, (k, d) -> new Device(d.id(), d.publicKey(), d.vendor(), d.deviceClass(),
                    d.profile(), d.tags(), d.region(), d.installedVersion(), d.installedSequence(), d.state(), at,
                    d.registered()));
        }

        @Override
        public boolean remove(String id) {
            return devices.remove(id) != null;
        }

        @Override
        public String status() {
            return "memory: " + devices.size() + " devices";
        }

        /** The benchmark's fleet has one vendor and class, no profile, tags or region; other filters match none. */
        private static boolean matches(DeviceFilter f, Device d) {
            return (f.vendor() == null || f.vendor().equals(d.vendor()))
                    && (f.deviceClass() == null || f.deviceClass().equals(d.deviceClass()))
                    && (f.profile() == null || f.profile().equals(d.profile()))
                    && (f.region() == null || f.region().equals(d.region()))
                    && d.tags().containsAll(f.tags()) && f.versionRange() == null;
        }
    }
}
