package org.updraft.demo.internal.fleet;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.updraft.core.identity.VerificationKey;
import org.updraft.device.CoapLink;
import org.updraft.device.DeviceAgent;

/**
 * How a {@link FleetSimulator} runs its devices and which faults it injects. Shares are fractions from 0 to 1
 * of the fleet (or of datagrams, for {@link Builder#lossShare}); which devices get a fault follows from the
 * seed, so a run can be repeated.
 */
public final class FleetConfig {

    final InetSocketAddress platform;
    /** The CoAP addresses of the platform's nodes, {@link #platform} first; devices fail over between them. */
    final List<InetSocketAddress> nodes;
    /** The did:key of the platform's DTLS key for CoAP over DTLS; null for unencrypted CoAP. */
    final String dtlsKey;
    final FleetTransport transport;
    final String broker;
    final int blockSize;
    final long mqttMaxPacketSize;
    final double lossShare;
    final double bootFailureShare;
    final double corruptShare;
    final double offlineShare;
    final Duration offlineFor;
    final int agentsPerEndpoint;
    final int threads;
    final Duration ackTimeout;
    final Duration pollInterval;
    final Duration startSpread;
    final Duration deadline;
    final Duration progressInterval;
    final boolean enroll;
    final long seed;

    private FleetConfig(Builder b) {
        platform = b.platform;
        nodes = b.nodes;
        dtlsKey = b.dtlsKey;
        transport = b.transport;
        broker = b.broker;
        blockSize = b.blockSize;
        mqttMaxPacketSize = b.mqttMaxPacketSize;
        lossShare = b.lossShare;
        bootFailureShare = b.bootFailureShare;
        corruptShare = b.corruptShare;
        offlineShare = b.offlineShare;
        offlineFor = b.offlineFor;
        agentsPerEndpoint = b.agentsPerEndpoint != null ? b.agentsPerEndpoint
                : agentsPerEndpointFor(b.downloadBytes, b.blockSize);
        threads = b.threads;
        ackTimeout = b.ackTimeout;
        pollInterval = b.pollInterval;
        startSpread = b.startSpread;
        deadline = b.deadline;
        progressInterval = b.progressInterval;
        enroll = b.enroll;
        seed = b.seed;
    }

    /** Most devices on one CoAP client endpoint. */
    static final int MAX_AGENTS_PER_ENDPOINT = 32;
    /** Requests one endpoint may carry in a run, well under its 65,536 message ids. */
    static final int REQUESTS_PER_ENDPOINT = 40_000;

    /**
     * How many devices share one CoAP client endpoint when each downloads {@code downloadBytes} in blocks of
     * {@code blockSize}. An endpoint has 65,536 message ids and may not reuse one within CoAP's exchange lifetime
     * (247 s): 20 devices fetching 4 MiB in 1 KiB blocks through one endpoint ran out and waited minutes for ids
     * (250 s instead of 4 s). So an endpoint gets only as many devices as keep it under 40,000 requests, their
     * blocks and a few checks and reports each; at most 32.
     */
    public static int agentsPerEndpointFor(long downloadBytes, int blockSize) {
        long requestsPerDevice = Math.max(0, downloadBytes) / blockSize + 16;
        return (int) Math.max(1, Math.min(MAX_AGENTS_PER_ENDPOINT, REQUESTS_PER_ENDPOINT / requestsPerDevice));
    }

    /**
     * A fleet talking to the platform's CoAP server at {@code platform}: over DTLS with {@link Builder#dtls} (what the
     * demo does), unencrypted without; {@link Builder#mqtt} adds MQTT.
     */
    public static Builder builder(InetSocketAddress platform) {
        return new Builder(Objects.requireNonNull(platform, "platform"));
    }

    /**
     * A fleet talking to a platform that runs as several nodes sharing ledger, registry and store, at the CoAP (or,
     * with {@link Builder#dtls}, DTLS) addresses {@code nodes}: devices are dealt out over the nodes in turn, and a
     * device whose node stops answering moves to the next ({@link org.updraft.device.FailoverLink}). Over DTLS every
     * node must hold the same DTLS key.
     *
     * @throws IllegalArgumentException when there is no node or one is given twice
     */
    public static Builder builder(List<InetSocketAddress> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one platform node");
        }
        if (nodes.stream().distinct().count() != nodes.size()) {
            throw new IllegalArgumentException("a platform node is given twice: " + nodes);
        }
        Builder b = new Builder(nodes.get(0));
        b.nodes = List.copyOf(nodes);
        return b;
    }

    /** A fleet talking to the platform through the MQTT broker at {@code brokerUri} only. */
    public static Builder mqttOnly(String brokerUri) {
        return new Builder(null).mqtt(FleetTransport.MQTT, brokerUri);
    }

    /** The platform's CoAP address; null for a fleet on MQTT only. */
    public InetSocketAddress platform() {
        return platform;
    }

    /** The CoAP addresses of the platform's nodes, the first node's first; empty for a fleet on MQTT only. */
    public List<InetSocketAddress> nodes() {
        return nodes;
    }

    /** The platform's DTLS key (did:key) the CoAP devices pin, or null when they speak unencrypted CoAP. */
    public String dtlsKey() {
        return dtlsKey;
    }

    public FleetTransport transport() {
        return transport;
    }

    /** The MQTT broker's URI; null for a fleet on CoAP only. */
    public String broker() {
        return broker;
    }

    public int blockSize() {
        return blockSize;
    }

    @Override
    public String toString() {
        return "FleetConfig[transport=" + transport + ", platform=" + (nodes.size() > 1 ? nodes : platform) + (dtlsKey == null ? "" : " over DTLS")
                + ", broker=" + broker + ", block="
                + blockSize + ", loss=" + lossShare + ", bootFailure="
                + bootFailureShare + ", corrupt=" + corruptShare + ", offline=" + offlineShare + " for " + offlineFor
                + ", agentsPerEndpoint=" + agentsPerEndpoint + ", threads=" + threads + ", ackTimeout=" + ackTimeout
                + ", poll=" + pollInterval + ", deadline=" + deadline + ", enroll=" + enroll + ", seed=" + seed + "]";
    }

    /** Settings with defaults fit for a fleet on loopback. */
    public static final class Builder {
        private final InetSocketAddress platform;
        private List<InetSocketAddress> nodes;
        private String dtlsKey;
        private FleetTransport transport = FleetTransport.COAP;
        private String broker;
        private int blockSize = 1024;
        private long mqttMaxPacketSize = 4096;
        private double lossShare;
        private double bootFailureShare;
        private double corruptShare;
        private double offlineShare;
        private Duration offlineFor = Duration.ofSeconds(5);
        private Integer agentsPerEndpoint;
        private long downloadBytes;
        private int threads = 2;
        private Duration ackTimeout = Duration.ofMillis(500);
        private Duration pollInterval = Duration.ofSeconds(2);
        private Duration startSpread = Duration.ofSeconds(1);
        private Duration deadline = Duration.ofMinutes(30);
        private Duration progressInterval = Duration.ofSeconds(1);
        private boolean enroll;
        private long seed = 42;

        private Builder(InetSocketAddress platform) {
            this.platform = platform;
            this.nodes = platform == null ? List.of() : List.of(platform);
        }

        /**
         * Devices over MQTT: all of them ({@link FleetTransport#MQTT}) or every second one
         * ({@link FleetTransport#BOTH}), through the broker at {@code brokerUri} ({@code tcp://host:port}), the one
         * the platform's MQTT transport is a client of.
         */
        public Builder mqtt(FleetTransport transport, String brokerUri) {
            if (Objects.requireNonNull(transport, "transport") == FleetTransport.COAP) {
                throw new IllegalArgumentException("mqtt(...) takes mqtt or both, not coap");
            }
            if (brokerUri == null || brokerUri.isBlank()) {
                throw new IllegalArgumentException("a fleet on " + transport + " needs the broker's URI");
            }
            this.transport = transport;
            this.broker = brokerUri.strip();
            return this;
        }

        /**
         * CoAP devices speak CoAP over DTLS 1.2 to {@code platform} (the platform's DTLS port), each presenting its own
         * key and pinning {@code platformKeyDid}, the platform's DTLS key ({@code updraft:status} shows it). Each
         * such device has its own UDP port: {@link #agentsPerEndpoint} does not apply.
         *
         * @throws IllegalArgumentException when it is not an Ed25519 or P-256 did:key
         */
        public Builder dtls(String platformKeyDid) {
            VerificationKey.fromDid(platformKeyDid);
            this.dtlsKey = platformKeyDid;
            return this;
        }

        /**
         * Download block size, a power of two from 16 to 1024 while any device is on CoAP, to 65536 on MQTT alone.
         * Default 1024.
         */
        public Builder blockSize(int blockSize) {
            this.blockSize = DeviceAgent.checkBlockSize(blockSize, DeviceAgent.MQTT_MAX_BLOCK);
            return this;
        }

        /** The Maximum Packet Size MQTT devices tell the broker (the platform cuts blocks to it). Default 4096. */
        public Builder mqttMaxPacketSize(long bytes) {
            this.mqttMaxPacketSize = bytes;
            return this;
        }

        /** Share of datagrams lost, each direction. Default 0. */
        public Builder lossShare(double share) {
            this.lossShare = share(share, "lossShare");
            if (share >= 1) {
                throw new IllegalArgumentException("lossShare must be below 1");
            }
            return this;
        }

        /** Share of devices whose new image does not boot (they roll back). Default 0. */
        public Builder bootFailureShare(double share) {
            this.bootFailureShare = share(share, "bootFailureShare");
            return this;
        }

        /** Share of devices whose download is corrupted in transit (they fail with digest-mismatch). Default 0. */
        public Builder corruptShare(double share) {
            this.corruptShare = share(share, "corruptShare");
            return this;
        }

        /** Share of devices that drop off the network during their download, and for how long. Default none. */
        public Builder offline(double share, Duration duration) {
            this.offlineShare = share(share, "offlineShare");
            if (duration.isNegative()) {
                throw new IllegalArgumentException("the offline duration must not be negative");
            }
            this.offlineFor = duration;
            return this;
        }

        /**
         * Devices per CoAP client endpoint (UDP port). Default from {@link #download}: 32, fewer for large downloads.
         * One endpoint sustains about 265 requests per second (16-bit message ids, 247 s exchange lifetime); see
         * {@link CoapLink}.
         */
        public Builder agentsPerEndpoint(int agents) {
            if (agents < 1) {
                throw new IllegalArgumentException("agentsPerEndpoint must be at least 1");
            }
            this.agentsPerEndpoint = agents;
            return this;
        }

        /**
         * The most bytes a device downloads (the image, or a patch when larger), to size the CoAP endpoints by
         * {@link FleetConfig#agentsPerEndpointFor} unless {@link #agentsPerEndpoint} is set. Default 0 (32 devices
         * an endpoint, enough for images up to about 1 MiB).
         */
        public Builder download(long bytes) {
            this.downloadBytes = bytes;
            return this;
        }

        /** Protocol threads shared by all devices. Default 2. */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("threads must be 1 to 64");
            }
            this.threads = threads;
            return this;
        }

        /** CoAP ACK timeout of the devices. Default 500 ms (loopback; RFC 7252 says 2 s for real links). */
        public Builder ackTimeout(Duration ackTimeout) {
            this.ackTimeout = Objects.requireNonNull(ackTimeout, "ackTimeout");
            return this;
        }

        /** Longest wait between update checks while nothing is offered. Default 2 s. */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
            return this;
        }

        /** Devices make their first check spread over this time, as a fleet does not wake in one instant. Default 1 s. */
        public Builder startSpread(Duration startSpread) {
            if (startSpread.isNegative()) {
                throw new IllegalArgumentException("startSpread must not be negative");
            }
            this.startSpread = startSpread;
            return this;
        }

        /** Devices not finished after this time are stopped and counted as unfinished. Default 30 min. */
        public Builder deadline(Duration deadline) {
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException("the deadline must be positive");
            }
            this.deadline = deadline;
            return this;
        }

        /** How often progress listeners are told. Default 1 s. */
        public Builder progressInterval(Duration interval) {
            if (interval.toMillis() < 10) {
                throw new IllegalArgumentException("the progress interval must be at least 10 ms");
            }
            this.progressInterval = interval;
            return this;
        }

        /** Whether each device enrolls itself ({@code POST /enroll}) before its first check. Default false. */
        public Builder enroll(boolean enroll) {
            this.enroll = enroll;
            return this;
        }

        /** Seed of the fault assignment and the loss pattern. Default 42. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public FleetConfig build() {
            if (transport.usesCoap() && platform == null) {
                throw new IllegalArgumentException("a fleet on " + transport + " needs the platform's CoAP address");
            }
            if (transport.usesCoap()) {
                DeviceAgent.checkBlockSize(blockSize, DeviceAgent.COAP_MAX_BLOCK);
            }
            return new FleetConfig(this);
        }

        private static double share(double share, String name) {
            if (!(share >= 0 && share <= 1)) {
                throw new IllegalArgumentException(name + " must be from 0 to 1, not " + share);
            }
            return share;
        }
    }
}
