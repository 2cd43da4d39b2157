package org.updraft.device;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

import org.updraft.core.work.Workers;
import org.updraft.device.internal.MqttSession;
import org.updraft.device.internal.TlsFiles;

/**
 * The devices' side of an MQTT 5 broker ({@code docs/mqtt-api.md}): each device has a connection of its own, as
 * real devices have, logging in with its id as user and client id, subscribed to its own down topics before it
 * asks anything. Checks go by request/response, offers also arrive on the retained offer topic, blocks are asked by
 * CID, offset and length within the device's Maximum Packet Size, reports and enrollments go on their own topics.
 * Lost connections are made again by the device with backoff; unanswered requests time out and the agent repeats
 * them. Each connection is one thread of the device's own (a small MQTT 5 client, not Paho's three threads a
 * connection, so that one JVM simulates thousands of devices); the connections share one small scheduler for their
 * keep-alive pings and the agents' timers.
 *
 * <p>Over TLS ({@code ssl://host:port}) the broker's certificate is checked against {@link Builder#trust} (or the
 * JVM's CAs) and its host name; each device may present a client certificate of its own
 * ({@link Builder#clientCertificates}), which a broker can take as the device's identity. A request the broker
 * refuses (a PUBACK with a reason code such as 135, not authorized: a topic that is not the device's) or a login it
 * refuses (bad password, unknown certificate) is answered at once as refused with the broker's reason, rather than
 * left to time out and be repeated.
 */
public final class MqttLink implements DeviceLink {

    private final String brokerUri;
    private final String prefix;
    private final long maxPacketSize;
    private final Duration requestTimeout;
    private final Duration retryDelay;
    private final Function<String, char[]> passwords;
    private final Path trust;
    private final Function<String, ClientCertificate> clientCertificates;
    /** The sockets of devices without a client certificate of their own: one TLS context for all. */
    private final SSLSocketFactory sharedSockets;
    private final ScheduledExecutorService timers;
    private final Set<MqttSession> sessions = ConcurrentHashMap.newKeySet();

    private MqttLink(Builder b) {
        this.brokerUri = b.brokerUri;
        this.prefix = b.prefix;
        this.maxPacketSize = b.maxPacketSize;
        this.requestTimeout = b.requestTimeout;
        this.retryDelay = b.retryDelay;
        this.passwords = b.passwords;
        this.trust = b.trust;
        this.clientCertificates = b.clientCertificates;
        boolean tls = brokerUri.startsWith("ssl://");
        if (!tls && (trust != null || clientCertificates != null)) {
            throw new IllegalArgumentException("trust and client certificates need an ssl:// broker URI, not '"
                    + brokerUri + "'");
        }
        // read now, so that a trust file that cannot be used fails the link, not each device later
        this.sharedSockets = tls ? TlsFiles.context(trust, null, null).getSocketFactory() : null;
        this.timers = Workers.scheduler("device-mqtt-timer", b.threads);
    }

    /**
     * A link to the broker at {@code brokerUri}: {@code tcp://host:port}, or {@code ssl://host:port} for TLS.
     *
     * @throws IllegalArgumentException when it is neither
     */
    public static Builder builder(String brokerUri) {
        return new Builder(brokerUri);
    }

    /** The broker's URI. */
    public String brokerUri() {
        return brokerUri;
    }

    /** Devices connected to the broker now. */
    public long connectedDevices() {
        return sessions.stream().filter(MqttSession::isConnected).count();
    }

    @Override
    public Session open(SimulatedDevice device) {
        char[] password = passwords == null ? null : passwords.apply(device.id());
        MqttSession session = new MqttSession(brokerUri, prefix, device.id(), password, sockets(device.id()),
                maxPacketSize, requestTimeout, timers, sessions::remove);
        sessions.add(session);
        session.connect();
        return session;
    }

    /** The device's own TLS context when it has a client certificate, else the shared one (null over tcp://). */
    private SSLSocketFactory sockets(String deviceId) {
        ClientCertificate own = clientCertificates == null ? null : clientCertificates.apply(deviceId);
        if (own == null) {
            return sharedSockets;
        }
        SSLContext context = TlsFiles.context(trust, own.certificateChain(), own.privateKey());
        return context.getSocketFactory();
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return timers;
    }

    @Override
    public Duration retryDelay() {
        return retryDelay;
    }

    /** 64 KiB: over MQTT a block is one publish, cut by the platform to fit the device's Maximum Packet Size. */
    @Override
    public int maxBlockSize() {
        return DeviceAgent.MQTT_MAX_BLOCK;
    }

    @Override
    public String describe() {
        return "MQTT to " + brokerUri + ", " + connectedDevices() + " of " + sessions.size() + " devices connected";
    }

    @Override
    public void close() {
        for (MqttSession session : Set.copyOf(sessions)) {
            session.close();
        }
        timers.shutdownNow();
        try {
            timers.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A device's TLS client certificate: PEM files of its certificate (then any intermediate CA certificates) and of
     * its private key, unencrypted PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}; {@code openssl pkcs8 -topk8 -nocrypt}
     * converts other forms); EC, RSA and Ed25519 keys.
     */
    public record ClientCertificate(Path certificateChain, Path privateKey) {
        public ClientCertificate {
            Objects.requireNonNull(certificateChain, "certificateChain");
            Objects.requireNonNull(privateKey, "privateKey");
        }
    }

    /** How a link is set up. */
    public static final class Builder {
        private final String brokerUri;
        private String prefix = "updraft";
        private long maxPacketSize = 4096;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration retryDelay = Duration.ofSeconds(1);
        private Function<String, char[]> passwords;
        private Path trust;
        private Function<String, ClientCertificate> clientCertificates;
        private int threads = 2;

        private Builder(String brokerUri) {
            this.brokerUri = checkBrokerUri(brokerUri);
        }

        /** The platform's {@code topic.prefix}. Default {@code updraft}. */
        public Builder topicPrefix(String prefix) {
            if (prefix == null || prefix.isEmpty() || prefix.contains("+") || prefix.contains("#")
                    || prefix.startsWith("/") || prefix.endsWith("/") || prefix.startsWith("$")) {
                throw new IllegalArgumentException("a topic prefix is one or more topic levels without wildcards, "
                        + "not '" + prefix + "'");
            }
            this.prefix = prefix;
            return this;
        }

        /**
         * Each device's Maximum Packet Size, told to the broker when it connects and to the platform with each block
         * request (blocks are cut to fit). It must also hold an offer (event, inclusion proof, checkpoint: about
         * 1.5 KiB on a small ledger, growing with the log's size): the broker drops larger packets without telling
         * anyone. Default 4096 bytes.
         */
        public Builder maxPacketSize(long maxPacketSize) {
            if (maxPacketSize < 256 || maxPacketSize > 268_435_455) {
                throw new IllegalArgumentException("the maximum packet size must be 256 to 268435455 bytes, not "
                        + maxPacketSize);
            }
            this.maxPacketSize = maxPacketSize;
            return this;
        }

        /** How long a device waits for an answer before the request counts as lost. Default 10 s. */
        public Builder requestTimeout(Duration requestTimeout) {
            if (requestTimeout.toMillis() < 10 || requestTimeout.toSeconds() > 300) {
                throw new IllegalArgumentException("the request timeout must be 10 ms to 300 s, not "
                        + requestTimeout);
            }
            this.requestTimeout = requestTimeout;
            return this;
        }

        /** The agents' pause before repeating a lost request. Default 1 s. */
        public Builder retryDelay(Duration retryDelay) {
            if (retryDelay.isNegative()) {
                throw new IllegalArgumentException("the retry delay must not be negative");
            }
            this.retryDelay = retryDelay;
            return this;
        }

        /**
         * Each device's broker password, by device id (the broker's password file has them); never logged. Default
         * none: the broker lets devices in by user name alone.
         */
        public Builder passwords(Function<String, char[]> passwords) {
            this.passwords = Objects.requireNonNull(passwords, "passwords");
            return this;
        }

        /**
         * The CA certificates (a PEM file) that the broker's certificate must chain to, for an {@code ssl://} broker
         * URI; its host name is checked too. Default: the JVM's trusted CAs.
         */
        public Builder trust(Path caCertificates) {
            this.trust = Objects.requireNonNull(caCertificates, "caCertificates");
            return this;
        }

        /**
         * Each device's TLS client certificate, by device id (null: none for that device), for an {@code ssl://}
         * broker URI. With mosquitto's {@code use_identity_as_username}, the certificate's common name is the
         * device's user name and so its identity in the ACL (docs/mosquitto/). The key files are read when the
         * device connects and never logged.
         */
        public Builder clientCertificates(Function<String, ClientCertificate> clientCertificates) {
            this.clientCertificates = Objects.requireNonNull(clientCertificates, "clientCertificates");
            return this;
        }

        /** Threads of the shared scheduler (pings, timers). Default 2. */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("a link uses 1 to 64 timer threads, not " + threads);
            }
            this.threads = threads;
            return this;
        }

        public MqttLink open() {
            return new MqttLink(this);
        }

        /** The one rule for a device's broker URI: {@code tcp://host:port} or {@code ssl://host:port}. */
        private static String checkBrokerUri(String uri) {
            String text = Objects.requireNonNull(uri, "brokerUri").strip();
            try {
                URI parsed = new URI(text);
                if (!("tcp".equals(parsed.getScheme()) || "ssl".equals(parsed.getScheme())) || parsed.getHost() == null
                        || parsed.getPort() < 1 || !(parsed.getPath() == null || parsed.getPath().isEmpty())) {
                    throw new IllegalArgumentException("the broker URI must be tcp://host:port or ssl://host:port, "
                            + "not '" + text + "'");
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("the broker URI must be tcp://host:port or ssl://host:port, not '"
                        + text + "' (" + e.getReason() + ")", e);
            }
            return text;
        }
    }
}
