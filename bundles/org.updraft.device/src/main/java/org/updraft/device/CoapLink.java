package org.updraft.device;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.Endpoint;
import org.eclipse.californium.elements.UDPConnector;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.elements.util.ExecutorsUtil;
import org.eclipse.californium.elements.util.NamedThreadFactory;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.updraft.core.identity.JcaKeys;
import org.updraft.core.identity.VerificationKey;
import org.updraft.device.internal.CoapSession;
import org.updraft.device.internal.DtlsClients;
import org.updraft.device.internal.LossyConnector;
import org.updraft.device.internal.LossyDtlsConnector;

/**
 * The devices' side of the network: one or more CoAP client endpoints (each its own UDP port) through which
 * agents talk to the platform, with optional datagram loss.
 *
 * <p>Why several endpoints for a fleet: a CoAP endpoint numbers its messages with 16-bit message ids per peer
 * and must not reuse one within the exchange lifetime (about 247 s), so one endpoint sustains about 265
 * requests per second to one server. A fleet downloading in 1 KiB blocks makes far more, so agents are spread
 * over a pool of endpoints (agents are assigned round-robin), while the endpoints share two small thread pools:
 * a few threads serve thousands of agents.
 */
public final class CoapLink implements DeviceLink {

    private final InetSocketAddress platform;
    private final List<CoapEndpoint> endpoints = new ArrayList<>();
    /** Datagrams sent through each open connector, lost ones included, and through those closed. */
    private final List<LongSupplier> sentCounters = new ArrayList<>();
    private final AtomicLong sentByClosed = new AtomicLong();
    private final ScheduledExecutorService protocol;
    private final ScheduledExecutorService timers;
    private final AtomicInteger nextEndpoint = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final Duration ackTimeout;
    /** Over DTLS: the platform's DTLS key, the only server the devices accept; null for plain CoAP. */
    private final PublicKey platformKey;
    private final String platformKeyDid;
    private final Configuration config;
    private final String bindAddress;
    private final double lossShare;
    private final long seed;
    /** Over DTLS, each device's own endpoint (its key is its identity), ended with its session or the link. */
    private final Set<CoapEndpoint> ownEndpoints = ConcurrentHashMap.newKeySet();

    private CoapLink(Builder b) {
        this.platform = b.platform;
        this.ackTimeout = b.ackTimeout;
        this.platformKeyDid = b.platformDtlsKey;
        this.platformKey = b.platformDtlsKey == null ? null
                : JcaKeys.publicKey(VerificationKey.fromDid(b.platformDtlsKey));
        this.bindAddress = b.bindAddress;
        this.lossShare = b.lossShare;
        this.seed = b.seed;
        Configuration config = new Configuration(SystemConfig.DEFINITIONS, CoapConfig.DEFINITIONS,
                UdpConfig.DEFINITIONS, DtlsConfig.DEFINITIONS);
        this.config = config;
        config.set(CoapConfig.ACK_TIMEOUT, (int) b.ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
        config.set(CoapConfig.MAX_ACK_TIMEOUT, (int) Math.max(b.ackTimeout.toMillis() * 32, 60_000),
                TimeUnit.MILLISECONDS);
        config.set(CoapConfig.MAX_RETRANSMIT, b.maxRetransmit);
        // the agent fetches blocks one by one itself (to resume at any block), so no transparent block-wise
        config.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, 0);
        config.set(UdpConfig.UDP_RECEIVER_THREAD_COUNT, 1);
        config.set(UdpConfig.UDP_SENDER_THREAD_COUNT, 1);
        config.set(CoapConfig.MAX_ACTIVE_PEERS, 16);
        protocol = ExecutorsUtil.newScheduledThreadPool(b.threads, new NamedThreadFactory("device-coap#"));
        timers = ExecutorsUtil.newDefaultSecondaryScheduler("device-coap-timer#");
        if (platformKey != null) {
            // one DTLS connection per device, opened with its session: the endpoints are the devices' own
            DtlsClients.configure(config);
            return;
        }
        try {
            for (int i = 0; i < b.endpoints; i++) {
                UDPConnector udp = new UDPConnector(new InetSocketAddress(b.bindAddress, 0), config);
                LossyConnector lossy = new LossyConnector(udp, b.lossShare, b.seed + i, dropped);
                CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config).setConnector(lossy)
                        .setLoggingTag("device-link-" + i).build();
                endpoint.setExecutors(protocol, timers);
                endpoint.start();
                endpoints.add(endpoint);
                sentCounters.add(lossy::datagramsSent);
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot open a UDP port for the device link: " + e.getMessage(), e);
        }
    }

    /** A link to the platform's CoAP server at {@code platform}. */
    public static Builder builder(InetSocketAddress platform) {
        return new Builder(platform);
    }

    /** The platform's CoAP address. */
    public InetSocketAddress platform() {
        return platform;
    }

    /** How many client endpoints (UDP ports) the link has. */
    public int endpointCount() {
        return endpoints.size();
    }

    /** Datagrams lost on purpose so far, both directions. */
    public long datagramsDropped() {
        return dropped.get();
    }

    /** Datagrams the devices sent so far, lost ones included. */
    public long datagramsSent() {
        synchronized (sentCounters) {
            return sentByClosed.get() + sentCounters.stream().mapToLong(LongSupplier::getAsLong).sum();
        }
    }

    /** The ACK timeout: after CoAP gave up on an exchange, an agent waits as long before it asks again. */
    @Override
    public Duration retryDelay() {
        return ackTimeout;
    }

    /**
     * A session for the device: on a shared endpoint over plain CoAP; over DTLS on its own endpoint, whose handshake
     * presents the device's key as its raw public key and accepts only the platform's DTLS key.
     *
     * @throws UncheckedIOException when the device's UDP port cannot be opened
     */
    @Override
    public Session open(SimulatedDevice device) {
        if (platformKey == null) {
            return new CoapSession(device.id(), assignEndpoint(), platform);
        }
        int index = nextEndpoint.getAndIncrement();
        LossyDtlsConnector dtls = new LossyDtlsConnector(DtlsClients.client(config, new InetSocketAddress(bindAddress,
                0), device.provisioning().key(), platformKey), lossShare, seed + index, dropped);
        dtls.setExecutor(protocol);
        CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config).setConnector(dtls)
                .setLoggingTag("device-dtls-" + device.id()).build();
        endpoint.setExecutors(protocol, timers);
        try {
            endpoint.start();
        } catch (IOException e) {
            endpoint.destroy();
            throw new UncheckedIOException("cannot open a UDP port for device " + device.id() + ": " + e.getMessage(),
                    e);
        }
        ownEndpoints.add(endpoint);
        LongSupplier sent = dtls::datagramsSent;
        synchronized (sentCounters) {
            sentCounters.add(sent);
        }
        return new CoapSession(device.id(), endpoint, platform, () -> {
            if (ownEndpoints.remove(endpoint)) {
                endpoint.destroy();
                synchronized (sentCounters) {
                    sentCounters.remove(sent);
                    sentByClosed.addAndGet(sent.getAsLong());
                }
            }
        });
    }

    @Override
    public String describe() {
        if (platformKey != null) {
            return "CoAP over DTLS to " + platform.getHostString() + ":" + platform.getPort() + " (server key "
                    + platformKeyDid + "), an endpoint per device";
        }
        return "CoAP to " + platform.getHostString() + ":" + platform.getPort() + " over " + endpoints.size()
                + " endpoint(s)";
    }

    /** The endpoint the next agent uses: agents are spread evenly. */
    private Endpoint assignEndpoint() {
        return endpoints.get(Math.floorMod(nextEndpoint.getAndIncrement(), endpoints.size()));
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return timers;
    }

    @Override
    public void close() {
        for (CoapEndpoint endpoint : endpoints) {
            endpoint.destroy();
        }
        endpoints.clear();
        for (CoapEndpoint endpoint : ownEndpoints) {
            if (ownEndpoints.remove(endpoint)) {
                endpoint.destroy();
            }
        }
        ExecutorsUtil.shutdownExecutorGracefully(1000, protocol, timers);
    }

    /** How a link is set up. */
    public static final class Builder {
        private final InetSocketAddress platform;
        private String bindAddress;
        private int endpoints = 1;
        private int threads = 2;
        private double lossShare;
        private long seed = 1;
        private Duration ackTimeout = Duration.ofSeconds(2);
        private int maxRetransmit = 4;
        private String platformDtlsKey;

        private Builder(InetSocketAddress platform) {
            this.platform = Objects.requireNonNull(platform, "platform");
            this.bindAddress = platform.getAddress() != null && platform.getAddress().isLoopbackAddress()
                    ? platform.getAddress().getHostAddress()
                    : "0.0.0.0";
        }

        /** Client endpoints (UDP ports) to spread agents over; see the class description. Default 1. */
        public Builder endpoints(int endpoints) {
            if (endpoints < 1 || endpoints > 4096) {
                throw new IllegalArgumentException("a link has 1 to 4096 endpoints, not " + endpoints);
            }
            this.endpoints = endpoints;
            return this;
        }

        /** Threads of the shared protocol pool. Default 2. */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("a link uses 1 to 64 protocol threads, not " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Share of datagrams lost in each direction, from 0 (default) to below 1. */
        public Builder lossShare(double lossShare) {
            if (!(lossShare >= 0 && lossShare < 1)) {
                throw new IllegalArgumentException("the share of lost datagrams must be at least 0 and below 1, not "
                        + lossShare);
            }
            this.lossShare = lossShare;
            return this;
        }

        /** Seed of the loss pattern. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * CoAP's ACK_TIMEOUT: how long before a confirmable message is sent again (doubling each time). Default 2 s
         * as RFC 7252; a simulation on loopback may use less to spend less time waiting on lost datagrams.
         */
        public Builder ackTimeout(Duration ackTimeout) {
            if (ackTimeout.toMillis() < 10 || ackTimeout.toSeconds() > 60) {
                throw new IllegalArgumentException("the ack timeout must be 10 ms to 60 s, not " + ackTimeout);
            }
            this.ackTimeout = ackTimeout;
            return this;
        }

        /** CoAP's MAX_RETRANSMIT. Default 4. */
        public Builder maxRetransmit(int maxRetransmit) {
            if (maxRetransmit < 0 || maxRetransmit > 10) {
                throw new IllegalArgumentException("max retransmit must be 0 to 10, not " + maxRetransmit);
            }
            this.maxRetransmit = maxRetransmit;
            return this;
        }

        /**
         * Speaks CoAP over DTLS 1.2 to the platform's DTLS port (its address is the one given to {@link
         * CoapLink#builder}): each device presents its own key as a raw public key (RFC 7250), which the platform binds
         * to its device id, and accepts no server but the one holding {@code platformKeyDid}, the did:key of the
         * platform's DTLS key ({@code updraft:status} shows it). Each device gets its own endpoint (UDP port):
         * {@link #endpoints} does not apply.
         *
         * @throws IllegalArgumentException when it is not an Ed25519 or P-256 did:key
         */
        public Builder dtls(String platformKeyDid) {
            VerificationKey.fromDid(platformKeyDid);
            this.platformDtlsKey = platformKeyDid;
            return this;
        }

        /** Local address the endpoints bind to; default the loopback address when the platform is on loopback. */
        public Builder bindAddress(String bindAddress) {
            this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
            return this;
        }

        /**
         * Opens the endpoints.
         *
         * @throws UncheckedIOException when a UDP port cannot be opened
         */
        public CoapLink open() {
            return new CoapLink(this);
        }
    }
}
