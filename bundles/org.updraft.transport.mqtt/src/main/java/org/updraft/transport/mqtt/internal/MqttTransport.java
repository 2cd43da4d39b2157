package org.updraft.transport.mqtt.internal;

import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
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
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.update.UpdateService;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.update.listener.UpdateListener;
import org.updraft.core.serving.ChunkCache;
import org.updraft.core.serving.ReleaseImages;
import org.updraft.core.work.Workers;

/**
 * The MQTT device API: the platform is an MQTT 5 client of the fleet's broker (Eclipse Paho, embedded). It
 * subscribes to the request topics with shared subscriptions, answers each request with the same payload bytes as
 * the CoAP transport, and keeps each device's offer retained on its offer topic ({@link Topics} has the layout).
 * Like the CoAP transport it registers its {@link UpdateListener} itself once active (a listener component would
 * make a reference cycle with the update service).
 *
 * <p>Connection: the first connection is retried with backoff (1 s doubling to 60 s) until the broker answers;
 * after that Paho reconnects by itself with the same backoff, and the subscriptions are made again on every
 * connection (clean start: the broker keeps no session for the platform; requests sent while no node was
 * connected are lost and the devices repeat them). {@link #status()} says which it is.
 */
@Component(service = TransportStatus.class, configurationPid = MqttTransport.PID, immediate = true)
@Designate(ocd = MqttTransportConfig.class)
public final class MqttTransport implements TransportStatus {

    /** Configuration PID: etc/org.updraft.transport.mqtt.cfg. */
    public static final String PID = "org.updraft.transport.mqtt";

    private static final Logger LOG = LoggerFactory.getLogger(MqttTransport.class);
    private static final int MAX_BACKOFF_SECONDS = 60;
    /** How long a publish waits, at most, for the broker's in-flight window to open. */
    private static final long INFLIGHT_WAIT_MILLIS = 5_000;

    private final AtomicReference<FirmwareStore> store = new AtomicReference<>();
    private final AtomicReference<ReleaseService> releases = new AtomicReference<>();
    /** Recorded deltas: their patches are served like images (and only theirs). */
    private final AtomicReference<ReleaseDeltas> deltas = new AtomicReference<>();
    private final Topics topics;
    private final Limits limits;
    private final ChunkCache chunks;
    private final RetainedOffers offers;
    private final DeviceRequests requests;
    private final ExecutorService workers;
    private final ExecutorService sweeps;
    /** Requests shed while every thread was busy and max.waiting requests waited. */
    private final LongAdder shed = new LongAdder();
    /** When shedding was last logged, in System.nanoTime(); 0 before the first time. */
    private final AtomicLong shedLogged = new AtomicLong();
    private final ScheduledExecutorService retries;
    private final MqttAsyncClient client;
    private final MqttConnectionOptions options;
    private final String brokerUri;
    private final AtomicInteger failedConnects = new AtomicInteger();
    private final ServiceRegistration<UpdateListener> listener;
    private volatile String state;
    private volatile boolean everConnected;
    private volatile boolean subscribed;
    private volatile boolean closed;

    @Activate
    public MqttTransport(MqttTransportConfig config, BundleContext context,
            @Reference(name = "updates") UpdateService updates) {
        this.limits = Limits.of(config);
        this.topics = new Topics(config.topic_prefix(), config.shared_group());
        this.brokerUri = config.broker_uri() == null ? "" : config.broker_uri().strip();
        String clientId = config.client_id() == null || config.client_id().isBlank()
                ? "updraft-platform-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())
                : config.client_id().strip();
        this.options = BrokerOptions.of(config, brokerUri);
        try {
            this.client = new MqttAsyncClient(brokerUri, clientId, new MemoryPersistence());
        } catch (MqttException | IllegalArgumentException e) {
            throw new IllegalArgumentException("broker.uri '" + brokerUri + "' of " + PID + " is not usable ("
                    + e.getMessage() + "); e.g. tcp://broker:1883 or ssl://broker:8883", e);
        }
        this.chunks = new ChunkCache(config.cached_chunks());
        // Paho's thread hands requests over and must never block: it also reads the acknowledgements an answer
        // waits for, so a request it ran itself while the pool was full could wait for itself (seen: 10,000
        // devices stalled the transport). Beyond max.waiting, requests are shed; devices repeat them.
        this.workers = Workers.shedding("updraft-mqtt", config.threads(), Math.max(1, config.max_waiting()),
                task -> shedRequest());
        // sweeps of retained offers come from the platform's threads, which may slow down but must not lose one
        this.sweeps = Workers.pool("updraft-mqtt-offers", 1, 1);
        this.retries = Workers.scheduler("updraft-mqtt-connect", 1);
        this.offers = new RetainedOffers(topics, updates, this::publish, sweeps, config.max_devices(),
                limits.qos());
        this.requests = new DeviceRequests(topics, updates, store::get, new ReleaseImages(releases::get, deltas::get), chunks,
                offers, limits, this::publish);
        client.setCallback(new Callback());
        this.state = "connecting to " + brokerUri + " as " + clientId;
        connect();
        // the context is null outside a framework: tests call answersChanged themselves
        UpdateListener told = offers::answersChanged;
        this.listener = context == null ? null : context.registerService(UpdateListener.class, told, null);
    }

    /** Outside a framework: no listener is registered. */
    public MqttTransport(MqttTransportConfig config, UpdateService updates) {
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

    @Deactivate
    public void close() {
        closed = true;
        if (listener != null) {
            try {
                listener.unregister();
            } catch (IllegalStateException e) {
                // unregistered already: the bundle is stopping
            }
        }
        Workers.stop(retries, Duration.ZERO);
        try {
            if (client.isConnected()) {
                client.disconnect(2_000).waitForCompletion(3_000);
            }
        } catch (MqttException e) {
            LOG.debug("Disconnecting from {} failed", brokerUri, e);
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debug("Closing the MQTT client failed", e);
        }
        Workers.stop(workers, Duration.ofSeconds(5));
        Workers.stop(sweeps, Duration.ofSeconds(5));
    }

    /** Devices' answers of the rollout may have changed: their retained offers follow. */
    public void answersChanged(String rolloutId) {
        offers.answersChanged(rolloutId);
    }

    @Override
    public String kind() {
        return "mqtt";
    }

    /**
     * One line: connected or not (reconnecting, with the last error), to which broker, and requests dropped so far
     * (by kind once there was any: {@code 3 requests dropped (bad-topic 1, malformed 2)}), and the requests that
     * failed with a platform bug, by exception class, once there was any.
     */
    @Override
    public String status() {
        String byKind = requests.droppedByKind();
        String failed = requests.failedByClass();
        return state + "; " + requests.dropped() + " requests dropped" + (byKind.isEmpty() ? "" : " (" + byKind + ")")
                + "; " + shed.sum() + " shed while busy"
                + (failed.isEmpty() ? "" : "; failed with a platform bug (see karaf.log): " + failed);
    }

    /** A request the workers had no room for: counted, and logged at most once a minute. */
    private void shedRequest() {
        shed.increment();
        long now = System.nanoTime();
        long last = shedLogged.get();
        if ((last == 0 || now - last > TimeUnit.MINUTES.toNanos(1)) && shedLogged.compareAndSet(last, now)) {
            LOG.warn("MQTT device API overloaded: {} requests shed so far (threads and max.waiting of {} are "
                    + "all taken); devices repeat them", shed.sum(), PID);
        }
    }

    long shed() {
        return shed.sum();
    }

    /** Connected, and the broker granted the request subscriptions: requests reach this node. */
    public boolean isReady() {
        return client.isConnected() && subscribed;
    }

    long dropped() {
        return requests.dropped();
    }

    long handled() {
        return requests.handled();
    }

    long storeReads() {
        return chunks.storeReads();
    }

    private void connect() {
        if (closed) {
            return;
        }
        try {
            client.connect(options, null, new MqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    failedConnects.set(0);
                }

                @Override
                public void onFailure(IMqttToken token, Throwable failure) {
                    retryConnect(failure);
                }
            });
        } catch (MqttException e) {
            retryConnect(e);
        }
    }

    /** Until the first connection: Paho's automatic reconnect takes over only once it was connected. */
    private void retryConnect(Throwable failure) {
        if (closed || everConnected) {
            return;
        }
        int failures = failedConnects.incrementAndGet();
        long delay = Math.min(MAX_BACKOFF_SECONDS, 1L << Math.min(6, failures - 1));
        state = "not connected to " + brokerUri + " (" + reason(failure) + "); retrying in " + delay + " s";
        if (failures == 1 || failures % 10 == 0) {
            LOG.warn("MQTT broker {} not reachable ({}); retrying in {} s, attempt {}", brokerUri, reason(failure),
                    delay, failures);
        }
        try {
            retries.schedule(this::connect, delay, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void subscribe() {
        MqttSubscription[] subscriptions = topics.sharedRequestFilters().stream()
                .map(filter -> new MqttSubscription(filter, limits.qos())).toArray(MqttSubscription[]::new);
        try {
            client.subscribe(subscriptions, null, new MqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    int[] codes = token.getReasonCodes();
                    boolean granted = true;
                    for (int i = 0; codes != null && i < codes.length && i < subscriptions.length; i++) {
                        if (codes[i] > 2) {
                            granted = false;
                            LOG.error("The broker refused the subscription {} (reason code {}): check its ACL for "
                                    + "the platform's user", subscriptions[i].getTopic(), codes[i]);
                        }
                    }
                    subscribed = granted;
                }

                @Override
                public void onFailure(IMqttToken token, Throwable failure) {
                    LOG.error("Subscribing to the request topics failed: {}", reason(failure));
                }
            }, new MqttProperties());
        } catch (MqttException e) {
            LOG.error("Subscribing to the request topics failed: {}", reason(e));
        }
    }

    /** Publishes; waits briefly while the broker's in-flight window is full; a failure is logged, not thrown. */
    private void publish(String topic, MqttMessage message) {
        long deadline = System.currentTimeMillis() + INFLIGHT_WAIT_MILLIS;
        while (true) {
            try {
                client.publish(topic, message);
                return;
            } catch (MqttException e) {
                if (e.getReasonCode() == MqttClientException.REASON_CODE_MAX_INFLIGHT
                        && System.currentTimeMillis() < deadline && !closed) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    continue;
                }
                LOG.debug("Publishing on {} failed: {}", topic, reason(e));
                return;
            }
        }
    }

    private static String reason(Throwable failure) {
        if (failure == null) {
            return "no reason given";
        }
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }

    /** Paho's callbacks: hand requests to the workers and return. */
    private final class Callback implements MqttCallback {

        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
            everConnected = true;
            state = "connected to " + serverUri + " as " + client.getClientId();
            LOG.info("MQTT device API {} {} as {}", reconnect ? "reconnected to" : "connected to", serverUri,
                    client.getClientId());
            subscribe();
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
            String why = response == null ? "no reason given"
                    : response.getReasonString() != null ? response.getReasonString()
                    : response.getException() != null ? reason(response.getException())
                    : "reason code " + response.getReturnCode();
            subscribed = false;
            state = "disconnected from " + brokerUri + " (" + why + "); reconnecting";
            if (!closed) {
                LOG.warn("MQTT broker {} disconnected ({}); reconnecting", brokerUri, why);
            }
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
            LOG.warn("MQTT error: {}", reason(exception));
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            try {
                workers.execute(() -> requests.handle(topic, message));
            } catch (RejectedExecutionException e) {
                // stopping: the device repeats its request
            }
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
            // nothing to do: answers are fire-and-forget at the chosen QoS
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
            // no enhanced authentication
        }
    }
}
