package org.updraft.device.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import javax.net.SocketFactory;
import javax.net.ssl.SSLHandshakeException;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.MqttPingSender;
import org.eclipse.paho.mqttv5.client.internal.ClientComms;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.device.DeviceLink.Reply;
import org.updraft.device.DeviceLink.Session;

/**
 * One device's MQTT 5 connection ({@code docs/mqtt-api.md}): its id as client id and user name, clean start, its
 * Maximum Packet Size, subscribed to {@code {prefix}/down/{id}/#} before any request goes out. Requests carry a
 * 4-byte counter as Correlation Data; answers are matched by it and stale ones ignored. The connection is made
 * again with backoff (1 s doubling to 30 s) whenever it is lost, the subscription with it.
 *
 * <p>What the broker refuses is answered at once, not left to time out: a request whose PUBACK carries an error
 * reason code (135, not authorized: the ACL does not let this login write the topic) and, while the broker refuses
 * the login (bad user name or password, not authorized, a failed TLS handshake), every request, each as
 * {@code not-authorized} with the broker's reason. The login is still tried again with backoff.
 */
public final class MqttSession implements Session {

    private static final Logger LOG = LoggerFactory.getLogger(MqttSession.class);
    private static final int MAX_BACKOFF_SECONDS = 30;
    private static final int KEEP_ALIVE_SECONDS = 30;

    private final String deviceId;
    private final String up;
    private final String down;
    private final String answers;
    private final String offerTopic;
    private final String blockTopic;
    private final long maxPacketSize;
    private final Duration requestTimeout;
    private final ScheduledExecutorService timers;
    private final Consumer<MqttSession> onClose;
    private final MqttAsyncClient client;
    private final MqttConnectionOptions options;
    private final AtomicInteger correlations = new AtomicInteger();
    private final AtomicInteger failedConnects = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    /** Why the broker refuses this device's login, or null. */
    private volatile String loginRefused;
    /** The agent's current wait for a pushed offer, or null. */
    private CompletableFuture<byte[]> waiter;
    /** An offer pushed while the agent was not waiting (downloading, say), for its next wait. */
    private byte[] unclaimed;
    private volatile boolean closed;

    /**
     * @param sockets the sockets to connect with (a TLS context's for {@code ssl://}), or null for Paho's default
     */
    public MqttSession(String brokerUri, String prefix, String deviceId, char[] password, SocketFactory sockets,
            long maxPacketSize, Duration requestTimeout, ScheduledExecutorService timers,
            Consumer<MqttSession> onClose) {
        this.deviceId = deviceId;
        this.up = prefix + "/up/" + deviceId + "/";
        this.down = prefix + "/down/" + deviceId + "/";
        this.answers = down + "answers";
        this.offerTopic = down + "offer";
        this.blockTopic = down + "fw";
        this.maxPacketSize = maxPacketSize;
        this.requestTimeout = requestTimeout;
        this.timers = timers;
        this.onClose = onClose;
        options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setUserName(deviceId);
        if (password != null) {
            options.setPassword(new String(password).getBytes(StandardCharsets.UTF_8));
        }
        if (sockets != null) {
            options.setSocketFactory(sockets);
        }
        options.setMaximumPacketSize(maxPacketSize);
        options.setKeepAliveInterval(KEEP_ALIVE_SECONDS);
        options.setConnectionTimeout(10);
        // reconnects are this class's own (the first connection too, which Paho's automatic reconnect skips)
        options.setAutomaticReconnect(false);
        try {
            client = new MqttAsyncClient(brokerUri, deviceId, new MemoryPersistence(), new SharedPings(timers), null);
        } catch (MqttException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot make an MQTT client for " + deviceId + " at " + brokerUri
                    + ": " + e.getMessage(), e);
        }
        client.setCallback(new Callback());
    }

    public String deviceId() {
        return deviceId;
    }

    /** Connected and subscribed: requests can be answered. */
    public boolean isConnected() {
        return client.isConnected() && ready.isDone();
    }

    /** Connects in the background; returns at once. */
    public void connect() {
        if (closed) {
            return;
        }
        try {
            client.connect(options, null, new MqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    failedConnects.set(0);
                    loginRefused = null;
                    subscribe();
                }

                @Override
                public void onFailure(IMqttToken token, Throwable failure) {
                    String refusal = loginRefusal(failure);
                    if (refusal != null) {
                        loginRefused = refusal;
                        refuseWaiting(refusal);
                    }
                    reconnectLater(failure);
                }
            });
        } catch (MqttException e) {
            reconnectLater(e);
        }
    }

    /** Why the broker refused the login, when it did (rather than being unreachable), else null. */
    private String loginRefusal(Throwable failure) {
        if (failure instanceof MqttException e) {
            int code = e.getReasonCode();
            // CONNACK reason codes of MQTT 5: bad user name or password, not authorized, banned, bad auth method
            if (code == 0x86 || code == 0x87 || code == 0x8A || code == 0x8C) {
                return "the broker refused the login of " + deviceId + " (reason code " + code + ", " + reason(e)
                        + ")";
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLHandshakeException) {
                return "the TLS handshake of " + deviceId + " with the broker failed (" + t.getMessage() + ")";
            }
        }
        return null;
    }

    /** Requests waiting for the connection get the refusal now: it will not come soon. */
    private void refuseWaiting(String refusal) {
        for (Integer correlation : pending.keySet()) {
            CompletableFuture<Reply> answer = pending.remove(correlation);
            if (answer != null) {
                answer.complete(Reply.refused("not-authorized: " + refusal));
            }
        }
    }

    private void reconnectLater(Throwable failure) {
        if (closed) {
            return;
        }
        int failures = failedConnects.incrementAndGet();
        long delay = Math.min(MAX_BACKOFF_SECONDS, 1L << Math.min(5, failures - 1));
        if (failures == 1 || failures % 10 == 0) {
            LOG.info("{}: no connection to the broker ({}); trying again in {} s", deviceId, reason(failure),
                    delay);
        }
        try {
            timers.schedule(this::connect, delay, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // the link is closing
        }
    }

    private void subscribe() {
        try {
            client.subscribe(new MqttSubscription[] {new MqttSubscription(down + "#", 1)}, null,
                    new MqttActionListener() {
                        @Override
                        public void onSuccess(IMqttToken token) {
                            int[] codes = token.getReasonCodes();
                            if (codes != null && codes.length > 0 && codes[0] > 2) {
                                LOG.warn("{}: the broker refused the subscription to {} (reason code {})", deviceId,
                                        down + "#", codes[0]);
                                return;
                            }
                            ready.complete(null);
                        }

                        @Override
                        public void onFailure(IMqttToken token, Throwable failure) {
                            LOG.warn("{}: subscribing failed: {}", deviceId, reason(failure));
                        }
                    }, new MqttProperties());
        } catch (MqttException e) {
            LOG.warn("{}: subscribing failed: {}", deviceId, reason(e));
        }
    }

    @Override
    public CompletableFuture<Reply> check(long sequence) {
        return request("check", Cbor.encode(Map.of("seq", sequence)), true);
    }

    @Override
    public CompletableFuture<Reply> block(String cid, long offset, int length) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("cid", cid);
        request.put("offset", offset);
        request.put("length", (long) length);
        request.put("max-packet", maxPacketSize);
        // answered on the block topic, not a Response Topic (docs/mqtt-api.md)
        return request("fw", Cbor.encode(request), false).thenApply(reply -> reply.isOk() ? block(cid, reply)
                : reply);
    }

    private Reply block(String cid, Reply answer) {
        try {
            CborMap map = CborMap.decode("block", answer.payload());
            byte[] data = map.bytes("data");
            long offset = map.unsigned("offset");
            long size = map.unsigned("size");
            if (!cid.equals(map.text("cid"))) {
                return Reply.refused("malformed: a block of " + map.text("cid") + " answers a request for " + cid);
            }
            return Reply.block(offset, data, offset + data.length < size);
        } catch (CborException e) {
            return Reply.refused("malformed: an undecodable block answer (" + e.getMessage() + ")");
        }
    }

    @Override
    public CompletableFuture<Reply> report(byte[] signed) {
        return request("report", signed, true);
    }

    @Override
    public CompletableFuture<Reply> enroll(byte[] signed) {
        return request("enroll", signed, true);
    }

    @Override
    public synchronized CompletableFuture<byte[]> pushedOffer() {
        if (unclaimed != null) {
            CompletableFuture<byte[]> pushedBefore = CompletableFuture.completedFuture(unclaimed);
            unclaimed = null;
            return pushedBefore;
        }
        // one waiter at a time, replaced by the next call: an agent asks again only after its last wait ended, so
        // an idle device that polls does not pile up waiters
        waiter = new CompletableFuture<>();
        return waiter;
    }

    private synchronized void offerPushed(byte[] offer) {
        if (waiter != null) {
            waiter.complete(offer);
            waiter = null;
        } else {
            unclaimed = offer;
        }
    }

    @Override
    public long retransmissions() {
        return 0;
    }

    /**
     * Publishes once subscribed; completes with the answer carrying the same Correlation Data, or exceptionally with
     * {@link TimeoutException} after the request timeout.
     */
    private CompletableFuture<Reply> request(String kind, byte[] payload, boolean withResponseTopic) {
        if (closed) {
            return CompletableFuture.failedFuture(new TimeoutException(deviceId + ": the session is closed"));
        }
        String refusal = loginRefused;
        if (refusal != null) {
            return CompletableFuture.completedFuture(Reply.refused("not-authorized: " + refusal));
        }
        int correlation = correlations.incrementAndGet();
        CompletableFuture<Reply> answer = new CompletableFuture<>();
        pending.put(correlation, answer);
        ScheduledFuture<?> timeout;
        try {
            timeout = timers.schedule(() -> {
                if (pending.remove(correlation) != null) {
                    answer.completeExceptionally(new TimeoutException(deviceId + ": no answer to its " + kind
                            + " request within " + requestTimeout.toMillis() + " ms"));
                }
            }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            pending.remove(correlation);
            return CompletableFuture.failedFuture(new TimeoutException(deviceId + ": the link is closed"));
        }
        answer.whenComplete((r, e) -> timeout.cancel(false));
        ready.thenRun(() -> {
            MqttMessage message = new MqttMessage(payload);
            message.setQos(1);
            MqttProperties properties = new MqttProperties();
            properties.setCorrelationData(ByteBuffer.allocate(4).putInt(correlation).array());
            if (withResponseTopic) {
                properties.setResponseTopic(answers);
            }
            message.setProperties(properties);
            String topic = up + kind;
            try {
                client.publish(topic, message, null, new MqttActionListener() {
                    @Override
                    public void onSuccess(IMqttToken token) {
                        int[] codes = token.getReasonCodes();
                        if (codes != null && codes.length > 0 && codes[0] >= 0x80) {
                            refused(codes[0], null);
                        }
                    }

                    @Override
                    public void onFailure(IMqttToken token, Throwable failure) {
                        if (failure instanceof MqttException e && e.getReasonCode() >= 0x80
                                && e.getReasonCode() <= 0xA2) {
                            refused(e.getReasonCode(), e);
                        }
                        // otherwise the connection went: the request is lost, as on the network, and times out
                    }

                    private void refused(int code, MqttException e) {
                        if (pending.remove(correlation) != null) {
                            answer.complete(Reply.refused((code == 0x87 ? "not-authorized" : "broker-refused")
                                    + ": the broker refused " + deviceId + "'s "
                                    + kind + " request on " + topic + " (PUBACK reason code " + code
                                    + (e == null ? "" : ", " + reason(e)) + ")"));
                        }
                    }
                });
            } catch (MqttException e) {
                // not connected (any more): the request is lost, as on the network; the agent repeats it
                if (pending.remove(correlation) != null) {
                    answer.completeExceptionally(new TimeoutException(deviceId + ": could not send its " + kind
                            + " request: " + reason(e)));
                }
            }
        });
        return answer;
    }

    private void answered(MqttMessage message) {
        byte[] correlationData = message.getProperties() == null ? null
                : message.getProperties().getCorrelationData();
        if (correlationData == null || correlationData.length != 4) {
            return;
        }
        CompletableFuture<Reply> answer = pending.remove(ByteBuffer.wrap(correlationData).getInt());
        if (answer == null) {
            // stale: an answer to a request given up on already
            return;
        }
        String error = null;
        String retryAfter = null;
        for (UserProperty property : message.getProperties().getUserProperties()) {
            if ("error".equals(property.getKey())) {
                error = property.getValue();
            } else if ("retry-after".equals(property.getKey())) {
                retryAfter = property.getValue();
            }
        }
        if (error == null) {
            answer.complete(Reply.ok(message.getPayload()));
            return;
        }
        String diagnostic = error + ": " + new String(message.getPayload(), StandardCharsets.UTF_8);
        if ("unavailable".equals(error)) {
            answer.complete(Reply.unavailable(seconds(retryAfter), diagnostic));
        } else {
            answer.complete(Reply.refused(diagnostic));
        }
    }

    private static Duration seconds(String text) {
        try {
            return text == null ? null : Duration.ofSeconds(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        onClose.accept(this);
        try {
            if (client.isConnected()) {
                client.disconnect(1_000).waitForCompletion(2_000);
            }
        } catch (MqttException e) {
            LOG.debug("{}: disconnecting failed: {}", deviceId, reason(e));
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debug("{}: closing the client failed: {}", deviceId, reason(e));
        }
        pending.values().forEach(f -> f.completeExceptionally(new TimeoutException(deviceId + ": closed")));
        pending.clear();
    }

    private static String reason(Throwable failure) {
        if (failure == null) {
            return "no reason given";
        }
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }

    /** Paho's callbacks, on the connection's own thread: they hand answers over and return. */
    private final class Callback implements MqttCallback {
        @Override
        public void disconnected(MqttDisconnectResponse response) {
            ready = new CompletableFuture<>();
            reconnectLater(response.getException());
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
            LOG.debug("{}: MQTT error: {}", deviceId, reason(exception));
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            if (topic.equals(offerTopic)) {
                // an empty retained message means no offer: nothing to wake the agent for
                if (message.getPayload().length > 0) {
                    offerPushed(message.getPayload());
                }
            } else if (topic.equals(answers) || topic.equals(blockTopic)) {
                answered(message);
            }
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
            // QoS 1 acknowledgements need nothing: the answer is what counts
        }

        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
            // subscribing follows the connect action's success
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
            // no enhanced authentication
        }
    }

    /** Keep-alive pings on the link's shared scheduler, not a timer thread per device as Paho's default has. */
    private static final class SharedPings implements MqttPingSender {
        private final ScheduledExecutorService timers;
        private ClientComms comms;
        private ScheduledFuture<?> next;

        SharedPings(ScheduledExecutorService timers) {
            this.timers = timers;
        }

        @Override
        public void init(ClientComms comms) {
            this.comms = comms;
        }

        @Override
        public void start() {
            schedule(comms.getKeepAlive());
        }

        @Override
        public synchronized void stop() {
            if (next != null) {
                next.cancel(false);
            }
        }

        @Override
        public synchronized void schedule(long delayInMilliseconds) {
            try {
                next = timers.schedule(() -> comms.checkForActivity(), delayInMilliseconds, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the link is closing
            }
        }
    }
}
