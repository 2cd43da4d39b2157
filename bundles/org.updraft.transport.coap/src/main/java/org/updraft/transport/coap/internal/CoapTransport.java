package org.updraft.transport.coap.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.Exchange;
import org.eclipse.californium.core.network.serialization.UdpDataSerializer;
import org.eclipse.californium.core.server.ServerMessageDeliverer;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.elements.util.ExecutorsUtil;
import org.eclipse.californium.elements.util.NamedThreadFactory;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.transport.DeviceEndpoint;
import org.updraft.api.transport.DeviceEndpoints;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.update.UpdateService;
import org.updraft.api.update.listener.UpdateListener;
import org.updraft.core.config.DataPaths;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.core.serving.ReleaseImages;
import org.updraft.core.update.UpdateAnswers;

/**
 * The CoAP device API (Eclipse Californium): {@code /check}, {@code /fw}, {@code /report} and
 * {@code /enroll} as the device wire contract defines them, over DTLS (Scandium, {@code dtls.port}), where each
 * request is bound to the device key its peer proved ({@link PeerBinding}), and, while {@code plain.enabled}, over
 * plain UDP ({@code port}), unbound. Both endpoints share one server, its resources and its limits. Once listening, it registers an {@link UpdateListener}
 * itself, so that a rollout change notifies the devices observing {@code /check}: provided as this component's
 * service, the listener would make a reference cycle with the update service it needs (the rollout engine binds
 * the listeners), and SCR would activate this component while activating it.
 *
 * <p>Californium's configuration is built here in code: it never reads or writes Californium3.properties in
 * the working directory. The firmware store and the release service are dynamic references. The store is by
 * default core's serving store ({@code (store.role=serving)}), which stays bound while backends come and go and
 * while its own configuration (PID org.updraft.store) is edited, so a swap never touches this component; a
 * configuration edit of this PID does restart it. Blocks no running store can serve get 5.03 with Max-Age.
 *
 * <p>A socket that cannot be bound (the port is taken, the address is not this machine's) does not fail the
 * component: it stays active, serves nothing there (the other endpoint still serves), and {@link #status()} (in {@code updraft:status}) names the endpoint
 * and the error, so an operator sees it beside the other transports rather than only in karaf.log.
 */
@Component(service = {TransportStatus.class, DeviceEndpoints.class}, configurationPid = CoapTransport.PID, immediate = true)
@Designate(ocd = CoapTransportConfig.class)
public final class CoapTransport implements TransportStatus, DeviceEndpoints {

    /** Configuration PID: etc/org.updraft.transport.coap.cfg. */
    public static final String PID = "org.updraft.transport.coap";

    private static final Logger LOG = LoggerFactory.getLogger(CoapTransport.class);

    private final AtomicReference<FirmwareStore> store = new AtomicReference<>();
    private final AtomicReference<ReleaseService> releases = new AtomicReference<>();
    /** Recorded deltas: their patches are served like images (and only theirs). */
    private final AtomicReference<ReleaseDeltas> deltas = new AtomicReference<>();
    /** Null when no socket could be bound. */
    private final CoapServer server;
    private final CheckResource check;
    private final ChunkCache chunks;
    /** The plain endpoint (null when plain.enabled is false) and the DTLS one (null when dtls.port is -1). */
    private final Listener plain;
    private final Listener dtls;
    /** The did:key of the platform's DTLS key, or null when DTLS is off. */
    private final String dtlsKey;
    private final AtomicReference<DeviceRegistry> registry = new AtomicReference<>();
    private final LongAdder requests = new LongAdder();
    /** Malformed datagrams and requests, by kind: in the status line, and logged at most once a minute per kind. */
    private final CountedRefusals malformed;
    /** DTLS peers refused for the key they proved, by kind. */
    private final CountedRefusals refusedPeers;
    /** Requests answered 5.00 (a platform bug), by exception class. */
    private final CountedRefusals failures;
    /** The bound on datagrams waiting, and the requests shed and datagrams dropped under load. */
    private final Overload overload;
    private final ServiceRegistration<UpdateListener> listener;

    /**
     * One socket of the device API: where it listens (the real port when configured with 0), or the configured
     * address and why it could not be bound.
     */
    private record Listener(String scheme, InetSocketAddress address, String failure) {

        boolean listening() {
            return failure == null;
        }

        String name() {
            String host = address.getAddress().getHostAddress();
            return scheme + "/" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
        }
    }

    @Activate
    public CoapTransport(CoapTransportConfig config, BundleContext context,
            @Reference(name = "updates") UpdateService updates) {
        Limits limits = Limits.of(config);
        if (config.threads() < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + config.threads());
        }
        if (!config.plain_enabled() && config.dtls_port() == -1) {
            throw new IllegalArgumentException("plain.enabled is false and dtls.port is -1: the device API would "
                    + "serve nothing; set dtls.port");
        }
        InetSocketAddress plainBind = config.plain_enabled() ? bindAddress(config, "port", config.port()) : null;
        InetSocketAddress dtlsBind = config.dtls_port() == -1 ? null
                : bindAddress(config, "dtls.port", config.dtls_port());
        // the key before any socket: a key file that cannot be used fails the component, naming the file
        SigningKey key = dtlsBind == null ? null : dtlsKey(config);
        Configuration californium = californium(config, limits);

        ScheduledExecutorService executor = ExecutorsUtil.newScheduledThreadPool(config.threads(),
                new NamedThreadFactory("updraft-coap#"));
        ScheduledExecutorService secondary = ExecutorsUtil.newDefaultSecondaryScheduler("updraft-coap-timer#");

        this.chunks = new ChunkCache(config.cached_chunks());
        ReleaseImages images = new ReleaseImages(releases::get, deltas::get);
        this.malformed = new CountedRefusals(CoapTransport.class, "CoAP device API refused malformed input");
        this.refusedPeers = new CountedRefusals(CoapTransport.class, "CoAP device API refused a DTLS peer for its key");
        this.overload = new Overload(limits, Overload.logged(LOG));
        PeerBinding binding = new PeerBinding(registry::get, limits.unavailableMaxAge(), System::nanoTime);
        DeviceApiRoot root = new DeviceApiRoot(malformed, refusedPeers);
        this.failures = root.failures();
        this.check = new CheckResource(updates, images, limits, binding, executor);
        root.add(check);
        root.add(new FirmwareResource(store::get, images, chunks, updates, limits, binding));
        root.add(new ReportResource(updates, limits, binding));
        root.add(new EnrollResource(updates, limits, binding));
        root.add(new LogResource(updates, limits));

        List<CoapEndpoint> started = new ArrayList<>();
        Listener plainListener = null;
        if (plainBind != null) {
            CoapEndpoint udp = new CoapEndpoint.Builder().setConfiguration(californium)
                    .setConnector(new BoundedUdpConnector(plainBind, californium, overload))
                    .setDataSerializerAndParser(new UdpDataSerializer(), new DeviceDatagramParser(malformed,
                            overload::taken)).build();
            plainListener = start(udp, "udp", plainBind, executor, secondary, started);
        }
        Listener dtlsListener = null;
        if (dtlsBind != null) {
            Configuration overDtls = dtlsSettings(californium);
            CoapEndpoint secure = new CoapEndpoint.Builder().setConfiguration(overDtls)
                    .setConnector(new DTLSConnector(DtlsEndpoints.server(overDtls, dtlsBind, key)))
                    .setDataSerializerAndParser(new UdpDataSerializer(), new DeviceDatagramParser(malformed))
                    .build();
            dtlsListener = start(secure, "dtls", dtlsBind, executor, secondary, started);
        }
        this.plain = plainListener;
        this.dtls = dtlsListener;
        this.dtlsKey = key == null ? null : key.did();
        if (started.isEmpty()) {
            ExecutorsUtil.shutdownExecutorGracefully(100, executor, secondary);
            this.server = null;
            this.listener = null;
            return;
        }
        CoapServer coap = new CoapServer(californium);
        coap.setMessageDeliverer(new ServerMessageDeliverer(root, californium) {
            @Override
            protected boolean preDeliverRequest(Exchange exchange) {
                // after deduplication (a retransmission gets its cached answer, not a second one) and after
                // block-wise reassembly: each request a device made, not each datagram; and before any resource
                // does work for it, which is what shedding is to save
                requests.increment();
                Response unavailable = overload.shed(exchange.getRequest());
                if (unavailable == null) {
                    return false;
                }
                exchange.sendResponse(unavailable);
                return true;
            }
        });
        started.forEach(coap::addEndpoint);
        coap.setExecutors(executor, secondary, false);
        coap.start();
        this.server = coap;
        // the context is null outside a framework: tests call answersChanged themselves
        UpdateListener told = check::answersChanged;
        this.listener = context == null ? null : context.registerService(UpdateListener.class, told, null);
    }

    /**
     * Starts one endpoint on its own, so that a port that is taken is named and the other endpoint still serves
     * (CoapServer.start() would only log the BindException and say none started).
     */
    private static Listener start(CoapEndpoint endpoint, String scheme, InetSocketAddress bind,
            ScheduledExecutorService executor, ScheduledExecutorService secondary, List<CoapEndpoint> started) {
        endpoint.setExecutors(executor, secondary);
        try {
            endpoint.start();
        } catch (IOException | RuntimeException e) {
            endpoint.destroy();
            Listener failed = new Listener(scheme, bind, rootCause(e));
            LOG.error("CoAP device API cannot listen on {} ({}): it serves no device there; free the port or set it "
                    + "(or bind.address) in {}", failed.name(), failed.failure(), PID);
            return failed;
        }
        started.add(endpoint);
        Listener listening = new Listener(scheme, endpoint.getAddress(), null);
        LOG.info("CoAP device API listening on {}", listening.name());
        return listening;
    }

    /** The platform's DTLS key, read or made at first start; a file that cannot be used fails the component. */
    private static SigningKey dtlsKey(CoapTransportConfig config) {
        Path file;
        try {
            file = DataPaths.resolve(config.dtls_key_file());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("dtls.key.file '" + config.dtls_key_file() + "' " + e.getMessage(), e);
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            KeyFiles.PlatformKey key = KeyFiles.readOrGenerate(file, KeyAlgorithm.P256);
            if (key.generated()) {
                LOG.info("Generated the platform's DTLS key {} into {}: provision devices with it", key.key().did(),
                        file);
            } else if (KeyFiles.openToOthers(file)) {
                LOG.warn("The DTLS key file {} is readable by others; it should be readable by its owner only "
                        + "(chmod 600)", file);
            }
            return key.key();
        } catch (KeyFileException | IOException e) {
            throw new IllegalStateException("cannot use the DTLS key " + file + ": " + e.getMessage(), e);
        }
    }

    /** Outside a framework (tests, benchmarks): no listener is registered. */
    public CoapTransport(CoapTransportConfig config, UpdateService updates) {
        this(config, null, updates);
    }

    @Reference(name = "store", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindStore(FirmwareStore bound) {
        store.set(bound);
    }

    public void unbindStore(FirmwareStore unbound) {
        store.compareAndSet(unbound, null);
    }

    @Reference(name = "releases", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindReleases(ReleaseService bound) {
        releases.set(bound);
    }

    public void unbindReleases(ReleaseService unbound) {
        releases.compareAndSet(unbound, null);
    }

    @Reference(name = "deltas", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void bindDeltas(ReleaseDeltas bound) {
        deltas.set(bound);
    }

    public void unbindDeltas(ReleaseDeltas unbound) {
        deltas.compareAndSet(unbound, null);
    }

    /**
     * The registry that holds each device's key, to which a DTLS peer is bound; while none runs, requests over DTLS
     * that name a device get 5.03 (plain requests do not need it).
     */
    @Reference(name = "registry", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = DeviceRegistry.SELECTED)
    public void bindRegistry(DeviceRegistry bound) {
        registry.set(bound);
    }

    public void unbindRegistry(DeviceRegistry unbound) {
        registry.compareAndSet(unbound, null);
    }

    @Deactivate
    public void close() {
        if (listener != null) {
            try {
                listener.unregister();
            } catch (IllegalStateException e) {
                // unregistered already: the bundle is stopping
            }
        }
        if (server != null) {
            server.destroy();
        }
    }

    /** Devices' answers of the rollout may have changed: observers of {@code /check} are told. */
    public void answersChanged(String rolloutId) {
        check.answersChanged(rolloutId);
    }

    /**
     * The address of unencrypted CoAP (the real port when configured with 0).
     *
     * @throws IllegalStateException when it is off or its socket could not be bound, with {@link #status()}
     */
    public InetSocketAddress address() {
        return listening(plain, "unencrypted CoAP is off (plain.enabled=false)");
    }

    /**
     * The address of CoAP over DTLS (the real port when configured with 0).
     *
     * @throws IllegalStateException when DTLS is off or its socket could not be bound, with {@link #status()}
     */
    public InetSocketAddress dtlsAddress() {
        return listening(dtls, "DTLS is off (dtls.port=-1)");
    }

    /** The did:key of the platform's DTLS key, which devices trust as the server; null when DTLS is off. */
    public String dtlsKey() {
        return dtlsKey;
    }

    private InetSocketAddress listening(Listener endpoint, String off) {
        if (endpoint == null) {
            throw new IllegalStateException("the CoAP device API does not serve it: " + off);
        }
        if (!endpoint.listening()) {
            throw new IllegalStateException("the CoAP device API is not listening: " + status());
        }
        return endpoint.address();
    }

    /** CoAP over DTLS ({@code coaps}, with the platform's DTLS key), then unencrypted CoAP; those listening. */
    @Override
    public List<DeviceEndpoint> deviceEndpoints() {
        List<DeviceEndpoint> endpoints = new ArrayList<>(2);
        if (dtls != null && dtls.listening()) {
            endpoints.add(new DeviceEndpoint("coaps", dtls.address(), dtlsKey));
        }
        if (plain != null && plain.listening()) {
            endpoints.add(new DeviceEndpoint("coap", plain.address(), null));
        }
        return endpoints;
    }

    /** Listening on at least one socket. */
    public boolean isRunning() {
        return server != null;
    }

    @Override
    public String kind() {
        return "coap";
    }

    /**
     * One line: each endpoint and whether it listens (with the DTLS key's did:key); while one does, the devices
     * observing {@code /check} (waiting for an offer to be pushed), the requests answered since it started and,
     * once there was any, the malformed input refused by kind ({@code malformed input: bad-query 1, short-datagram
     * 3}), the DTLS peers refused for their key ({@code refused peers: wrong-key 2}) and the requests that failed
     * with a platform bug, by exception class; once it shed load, the requests answered 5.03 and the datagrams
     * dropped ({@code under load: overload-dropped 9, overload-shed 700 (most datagrams waiting at once 4096; ...)});
     * for a socket that could not be bound, the error and what to do.
     */
    @Override
    public String status() {
        StringBuilder line = new StringBuilder();
        for (Listener endpoint : new Listener[] {plain, dtls}) {
            if (endpoint == null) {
                continue;
            }
            if (line.length() > 0) {
                line.append("; ");
            }
            if (endpoint.listening()) {
                line.append("listening on ").append(endpoint.name());
            } else {
                line.append("failed to bind ").append(endpoint.name()).append(" (").append(endpoint.failure())
                        .append("); serving no device there: free the port or set ")
                        .append(endpoint == plain ? "port" : "dtls.port").append(" in ").append(PID);
            }
            if (endpoint == dtls) {
                line.append(" (key ").append(dtlsKey).append(")");
            }
        }
        if (server == null) {
            return line.toString();
        }
        int observing = check.observers();
        String refused = malformed.summary();
        String peers = refusedPeers.summary();
        String failed = failures.summary();
        String shed = overload.summary();
        return line + "; " + observing + (observing == 1 ? " device" : " devices")
                + " observing /check; " + requests.sum() + " requests" + (refused.isEmpty() ? "" : "; malformed input: "
                + refused) + (peers.isEmpty() ? "" : "; refused peers: " + peers)
                + (failed.isEmpty() ? "" : "; failed with a platform bug (see karaf.log): " + failed)
                + (shed.isEmpty() ? "" : "; under load: " + shed);
    }

    /** The innermost message: Californium wraps the socket's BindException ("Address already in use"). */
    private static String rootCause(Throwable e) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        return message != null ? message : e.getClass().getSimpleName();
    }

    int observers() {
        return check.observers();
    }

    /** Malformed input refused so far, by kind. */
    CountedRefusals malformed() {
        return malformed;
    }

    Overload overload() {
        return overload;
    }

    long storeReads() {
        return chunks.storeReads();
    }

    private static InetSocketAddress bindAddress(CoapTransportConfig config, String setting, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(setting + " must be 0-65535" + (setting.equals("port") ? "" : " or -1")
                    + ", not " + port);
        }
        String host = config.bind_address() == null ? "" : config.bind_address().strip();
        if (host.isEmpty()) {
            throw new IllegalArgumentException("bind.address is empty; use 0.0.0.0 for every interface");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bind.address '" + host + "' is not an address of this machine: "
                    + e.getMessage(), e);
        }
    }

    /** Answered requests kept per device for duplicate detection. */
    static final int DUPLICATES_KEPT_PER_DEVICE = 16;

    /**
     * Over DTLS every device is a peer of its own (its own address and session), where plain CoAP peers may be
     * gateways or NATs carrying many devices: a device has one request in flight, so its last
     * {@value #DUPLICATES_KEPT_PER_DTLS_PEER} answers are all a retransmission can repeat. Keeping 16 per peer held
     * 10,000 devices' last 16 blocks each, and a 512 MiB server ran out of heap in a 10,000-device rollout.
     */
    static final int DUPLICATES_KEPT_PER_DTLS_PEER = 4;

    private static Configuration dtlsSettings(Configuration californium) {
        Configuration c = new Configuration(californium);
        c.set(CoapConfig.PEERS_MARK_AND_SWEEP_MESSAGES, DUPLICATES_KEPT_PER_DTLS_PEER);
        return c;
    }

    /** Californium's settings, from ours; nothing is read from or written to files. */
    private static Configuration californium(CoapTransportConfig config, Limits limits) {
        Configuration c = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS, DtlsConfig.DEFINITIONS,
                SystemConfig.DEFINITIONS);
        int block = limits.maxBlockSize();
        // /fw answers one block per request; with these equal to the largest block, Californium's block-wise
        // layer never takes such an answer for a whole body to be cut (and so never buffers an image)
        c.set(CoapConfig.MAX_MESSAGE_SIZE, block);
        c.set(CoapConfig.PREFERRED_BLOCK_SIZE, block);
        c.set(CoapConfig.BLOCKWISE_STRICT_BLOCK2_OPTION, false);
        // transparent block-wise stays on for the small bodies: check answers out, enrollments in
        c.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, Math.max(limits.maxRequestBytes(), UpdateAnswers.MAX_ANSWER_BYTES));
        c.set(UdpConfig.UDP_DATAGRAM_SIZE, Math.max(2048, limits.maxRequestBytes() + 1024));
        c.set(CoapConfig.MAX_SERVER_OBSERVES, config.max_observers());
        c.set(CoapConfig.PROTOCOL_STAGE_THREAD_COUNT, config.threads());
        c.set(UdpConfig.UDP_RECEIVER_THREAD_COUNT, 1);
        c.set(UdpConfig.UDP_SENDER_THREAD_COUNT, 1);
        // Duplicate detection keeps each answered request with its answer (a 1 KiB block) for the exchange lifetime
        // (247 s): Californium's default kept every one, so the heap grew with the request rate (at 2,500 block
        // requests/s, over 1.5 GB). A device has one request in flight; its last few are all a retransmission
        // can repeat, so they are kept per device (peer) instead.
        c.set(CoapConfig.DEDUPLICATOR, CoapConfig.DEDUPLICATOR_PEERS_MARK_AND_SWEEP);
        c.set(CoapConfig.PEERS_MARK_AND_SWEEP_MESSAGES, DUPLICATES_KEPT_PER_DEVICE);
        c.set(DtlsConfig.DTLS_RECEIVER_THREAD_COUNT, 1);
        c.set(DtlsConfig.DTLS_CONNECTOR_THREAD_COUNT, config.threads());
        return c;
    }
}
