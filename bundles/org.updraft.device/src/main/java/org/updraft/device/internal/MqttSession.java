package org.updraft.device.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
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

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocketFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.device.DeviceLink.Reply;
import org.updraft.device.DeviceLink.Session;
import org.updraft.device.internal.mqtt.MqttConnection;
import org.updraft.device.internal.mqtt.MqttPacket.Connect;
import org.updraft.device.internal.mqtt.MqttPacket.PubAck;
import org.updraft.device.internal.mqtt.MqttPacket.Publish;
import org.updraft.device.internal.mqtt.MqttPacket.SubAck;
import org.updraft.device.internal.mqtt.MqttProperties;
import org.updraft.device.internal.mqtt.MqttProtocolException;
import org.updraft.device.internal.mqtt.MqttRefusal;
import org.updraft.device.internal.mqtt.ReasonCodes;

/**
 * One device's MQTT 5 connection ({@code docs/mqtt-api.md}): its id as client id and user name, clean start, its
 * Maximum Packet Size, subscribed to {@code {prefix}/down/{id}/#} before any request goes out. Requests carry a
 * 4-byte counter as Correlation Data; answers are matched by it and stale ones ignored. The connection is made
 * again with backoff (1 s doubling to 30 s) whenever it is lost, the subscription with it.
 *
 * <p>Each session has one thread of its own: it connects, then reads the broker's packets (answers complete the
 * agent's futures there), and when the connection is lost waits out the backoff and connects again. Requests are
 * written by the agent's threads; keep-alive pings go from the link's shared scheduler.
 *
 * <p>What the broker refuses is answered at once, not left to time out: a request whose PUBACK carries an error
 * reason code (135, not authorized: the ACL does not let this login write the topic) and, while the broker refuses
 * the login (bad user name or password, not authorized, a failed TLS handshake) or the subscription to the device's
 * own topics, every request, each as {@code not-authorized} with the broker's reason. The login is still tried again
 * with backoff.
 */
public final class MqttSession implements Session {

    private static final Logger LOG = LoggerFactory.getLogger(MqttSession.class);
    private static final int MAX_BACKOFF_SECONDS = 30;
    private static final int KEEP_ALIVE_SECONDS = 30;
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    /** QoS 1 messages the broker may send before the device acknowledges; it acknowledges each as it reads it. */
    private static final long RECEIVE_MAXIMUM = 32;

    private final String deviceId;
    private final String host;
    private final int port;
    private final SSLSocketFactory tls;
    private final byte[] password;
    private final String up;
    private final String down;
    private final String answers;
    private final String offerTopic;
    private final String blockTopic;
    private final long maxPacketSize;
    private final Duration requestTimeout;
    private final ScheduledExecutorService timers;
    private final Consumer<MqttSession> onClose;
    private final AtomicInteger correlations = new AtomicInteger();
    private final AtomicInteger failedConnects = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final Object pause = new Object();
    private volatile MqttConnection connection;
    private volatile CompletableFuture<Void> ready = new CompletableFuture<>();
    /** Why the broker refuses this device's login, or null. */
    private volatile String loginRefused;
    /** The agent's current wait for a pushed offer, or null. */
    private CompletableFuture<byte[]> waiter;
    /** An offer pushed while the agent was not waiting (downloading, say), for its next wait. */
    private byte[] unclaimed;
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param brokerUri {@code tcp://host:port} or {@code ssl://host:port}
     * @param tls the TLS sockets for {@code ssl://} (the trust and the device's own certificate), null for tcp://
     */
    public MqttSession(String brokerUri, String prefix, String deviceId, char[] password, SSLSocketFactory tls,
            long maxPacketSize, Duration requestTimeout, ScheduledExecutorService timers,
            Consumer<MqttSession> onClose) {
        URI uri = URI.create(brokerUri);
        if (uri.getHost() == null || uri.getPort() < 1 || (tls == null) != "tcp".equals(uri.getScheme())) {
            throw new IllegalArgumentException("cannot connect " + deviceId + " to " + brokerUri
                    + ": not tcp://host:port, or ssl://host:port with TLS settings");
        }
        this.host = uri.getHost();
        this.port = uri.getPort();
        this.tls = tls;
        this.deviceId = deviceId;
        this.password = password == null ? null : new String(password).getBytes(StandardCharsets.UTF_8);
        this.up = prefix + "/up/" + deviceId + "/";
        this.down = prefix + "/down/" + deviceId + "/";
        this.answers = down + "answers";
        this.offerTopic = down + "offer";
        this.blockTopic = down + "fw";
        this.maxPacketSize = maxPacketSize;
        this.requestTimeout = requestTimeout;
        this.timers = timers;
        this.onClose = onClose;
    }

    public String deviceId() {
        return deviceId;
    }

    /** Connected and subscribed: requests can be answered. */
    public boolean isConnected() {
        MqttConnection c = connection;
        return c != null && c.isOpen() && ready.isDone();
    }

    /** Connects in the background, on the session's own thread; returns at once. */
    public synchronized void connect() {
        if (closed || thread != null) {
            return;
        }
        // the default stack (-Xss): the agent's verification runs here when an answer completes its request
        thread = new Thread(this::run, "mqtt-" + deviceId);
        thread.setDaemon(true);
        thread.start();
    }

    private Connect connectPacket() {
        MqttProperties properties = new MqttProperties()
                .put(MqttProperties.SESSION_EXPIRY, 0L)
                .put(MqttProperties.RECEIVE_MAXIMUM, RECEIVE_MAXIMUM)
                .put(MqttProperties.MAXIMUM_PACKET_SIZE, maxPacketSize);
        return new Connect(deviceId, true, KEEP_ALIVE_SECONDS, deviceId, password, properties);
    }

    /** The session's thread: connect, read until the connection ends, wait, again, until closed. */
    private void run() {
        while (!closed) {
            MqttConnection c;
            try {
                c = MqttConnection.open(host, port, tls, connectPacket(), maxPacketSize, CONNECT_TIMEOUT_MILLIS);
            } catch (IOException | RuntimeException e) {
                String refusal = loginRefusal(e);
                if (refusal != null) {
                    loginRefused = refusal;
                    refuseWaiting(refusal);
                }
                if (!pauseBeforeReconnecting(e)) {
                    return;
                }
                continue;
            }
            connection = c;
            if (closed) {
                c.close(0);
                return;
            }
            loginRefused = null;
            ScheduledFuture<?> pings = null;
            try {
                long every = Math.max(1, c.keepAliveSeconds() * 1000L / 2);
                pings = c.keepAliveSeconds() == 0 ? null
                        : timers.scheduleWithFixedDelay(c::ping, every, every, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the link is closing
            }
            IOException lost = null;
            try {
                c.subscribe(List.of(down + "#"), 1).whenComplete((ack, e) -> subscribed(c, ack));
                c.receive(this::published);
            } catch (IOException e) {
                lost = e;
            } finally {
                if (pings != null) {
                    pings.cancel(false);
                }
                ready = new CompletableFuture<>();
            }
            if (lost == null && loginRefused != null) {
                lost = new IOException(loginRefused); // closed here after a refused subscription
            }
            if (lost instanceof MqttProtocolException) {
                LOG.warn("{}: closed the connection to the broker: {}", deviceId, lost.getMessage());
            }
            if (!pauseBeforeReconnecting(lost)) {
                return;
            }
        }
    }

    private void subscribed(MqttConnection c, SubAck ack) {
        if (ack == null) {
            return; // the connection went first
        }
        int code = ack.reasonCodes().get(0);
        if (code > 2) {
            String refusal = "the broker refused the subscription of " + deviceId + " to " + down + "# (SUBACK reason"
                    + " code " + code + ", " + ReasonCodes.describe(code) + ")";
            LOG.warn("{}: {}", deviceId, refusal);
            loginRefused = refusal;
            refuseWaiting(refusal);
            // without its down topics no answer can reach it: connect again later, as after a refused login
            c.close(0);
            return;
        }
        failedConnects.set(0);
        ready.complete(null);
    }

    /** Waits out the backoff; false when the session was closed meanwhile. */
    private boolean pauseBeforeReconnecting(Throwable failure) {
        if (closed) {
            return false;
        }
        int failures = failedConnects.incrementAndGet();
        long delay = Math.min(MAX_BACKOFF_SECONDS, 1L << Math.min(5, failures - 1));
        if (failures == 1 || failures % 10 == 0) {
            LOG.info("{}: no connection to the broker ({}); trying again in {} s", deviceId, reason(failure),
                    delay);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(delay);
        synchronized (pause) {
            long left;
            while (!closed && (left = until - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(pause, left);
                } catch (InterruptedException e) {
                    return false;
                }
            }
        }
        return !closed;
    }

    /** Why the broker refused the login, when it did (rather than being unreachable), else null. */
    private String loginRefusal(Throwable failure) {
        if (failure instanceof MqttRefusal refusal && refusal.refusesLogin()) {
            return "the broker refused the login of " + deviceId + " (" + refusal.getMessage() + ")";
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

    /** A message on the device's own topics, in the session's thread: hand it over and return. */
    private void published(Publish message) {
        String topic = message.topic();
        if (topic.equals(offerTopic)) {
            // an empty retained message means no offer: nothing to wake the agent for
            if (message.payload().length > 0) {
                offerPushed(message.payload());
            }
        } else if (topic.equals(answers) || topic.equals(blockTopic)) {
            answered(message);
        }
    }

    @Override
    public CompletableFuture<Reply> check(long sequence, byte[] nonce) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("seq", sequence);
        if (nonce.length > 0) {
            request.put("nonce", nonce);
        }
        return request("check", Cbor.encode(request), true);
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
    public CompletableFuture<Reply> consistency(long first, long second) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("first", first);
        request.put("second", second);
        return request("consistency", Cbor.encode(request), true);
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
     * Publishes a request (QoS 1, Correlation Data, the Response Topic if asked) once the device is connected and
     * subscribed; completes with the answer, or exceptionally with a {@link TimeoutException} after the request
     * timeout.
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
        String topic = up + kind;
        ready.thenRun(() -> {
            MqttProperties properties = new MqttProperties()
                    .put(MqttProperties.CORRELATION_DATA, ByteBuffer.allocate(4).putInt(correlation).array());
            if (withResponseTopic) {
                properties.put(MqttProperties.RESPONSE_TOPIC, answers);
            }
            connection.publish(new Publish(topic, 1, false, false, 1, properties, payload))
                    .whenComplete((ack, failure) -> sent(correlation, answer, kind, topic, ack, failure));
        });
        return answer;
    }

    /** What the broker said to a request: a refusal answers it now; a lost connection, soon, as lost. */
    private void sent(int correlation, CompletableFuture<Reply> answer, String kind, String topic, PubAck ack,
            Throwable failure) {
        if (ack != null && ack.reasonCode() < 0x80) {
            return; // taken: the answer is what counts
        }
        if (pending.remove(correlation) == null) {
            return;
        }
        if (ack != null) {
            String why = ack.properties().text(MqttProperties.REASON_STRING);
            answer.complete(Reply.refused((ack.reasonCode() == 0x87 ? "not-authorized" : "broker-refused")
                    + ": the broker refused " + deviceId + "'s " + kind + " request on " + topic
                    + " (PUBACK reason code " + ack.reasonCode() + ", " + ReasonCodes.describe(ack.reasonCode())
                    + (why == null ? "" : ": " + why) + ")"));
        } else if (failure instanceof MqttProtocolException tooLarge) {
            answer.complete(Reply.refused("broker-refused: " + deviceId + "'s " + kind + " request cannot be sent: "
                    + tooLarge.getMessage()));
        } else {
            // the connection went: the request is lost, as on the network; the agent repeats it
            answer.completeExceptionally(new TimeoutException(deviceId + ": could not send its " + kind
                    + " request: " + reason(failure)));
        }
    }

    private void answered(Publish message) {
        byte[] correlationData = message.properties().binary(MqttProperties.CORRELATION_DATA);
        if (correlationData == null || correlationData.length != 4) {
            return;
        }
        CompletableFuture<Reply> answer = pending.remove(ByteBuffer.wrap(correlationData).getInt());
        if (answer == null) {
            // stale: an answer to a request given up on already
            return;
        }
        String error = message.properties().userProperty("error");
        String retryAfter = message.properties().userProperty("retry-after");
        if (error == null) {
            answer.complete(Reply.ok(message.payload()));
            return;
        }
        String diagnostic = error + ": " + new String(message.payload(), StandardCharsets.UTF_8);
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
        synchronized (pause) {
            pause.notifyAll();
        }
        MqttConnection c = connection;
        if (c != null) {
            c.close(0);
        }
        pending.values().forEach(f -> f.completeExceptionally(new TimeoutException(deviceId + ": closed")));
        pending.clear();
    }

    private static String reason(Throwable failure) {
        if (failure == null) {
            return "no reason given";
        }
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }
}
