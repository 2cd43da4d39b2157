package org.updraft.device.internal.mqtt;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.updraft.device.internal.mqtt.MqttPacket.ConnAck;
import org.updraft.device.internal.mqtt.MqttPacket.Connect;
import org.updraft.device.internal.mqtt.MqttPacket.Disconnect;
import org.updraft.device.internal.mqtt.MqttPacket.PingReq;
import org.updraft.device.internal.mqtt.MqttPacket.PingResp;
import org.updraft.device.internal.mqtt.MqttPacket.PubAck;
import org.updraft.device.internal.mqtt.MqttPacket.Publish;
import org.updraft.device.internal.mqtt.MqttPacket.SubAck;
import org.updraft.device.internal.mqtt.MqttPacket.Subscribe;

/**
 * One MQTT 5 connection of a device to its broker, over a plain socket or TLS.
 *
 * <p>Threads: none of its own. Whoever calls {@link #receive} (the device's one thread) reads the broker's packets
 * there, blocking; the device's requests are written by whichever thread makes them, one packet at a time under a
 * lock. Why one blocking thread per connection: a fleet simulator runs thousands of devices in one JVM, and Paho's
 * three threads a connection came near the machine's thread limit at 10,000 devices, while one is well within it. A
 * shared NIO selector would need only one thread for all connections, but TLS over a selector means driving an
 * SSLEngine by hand, where a blocking SSLSocket does the handshake, alerts and records itself.
 *
 * <p>Flow control follows the broker's CONNACK: no more QoS 1 messages unacknowledged than its Receive Maximum
 * (the rest wait in order), nothing larger than its Maximum Packet Size, QoS 0 when its Maximum QoS is 0, the
 * Server Keep Alive when it sets one.
 * Without traffic for half the keep alive, {@link #ping} sends a PINGREQ; a broker silent for twice the keep alive is
 * taken as gone.
 */
public final class MqttConnection implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final long maxPacketSize;
    private final ConnAck connAck;
    private final int keepAliveSeconds;
    private final long brokerMaxPacketSize;
    private final int sendQuota;
    private final int maximumQos;
    private final ReentrantLock writing = new ReentrantLock();
    /** Guarded by {@link #writing}: QoS 1 messages sent and not yet acknowledged, by packet id. */
    private final Map<Integer, CompletableFuture<PubAck>> unacknowledged = new HashMap<>();
    /** Guarded by {@link #writing}: QoS 1 messages beyond the broker's Receive Maximum, in order. */
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    /** Guarded by {@link #writing}. */
    private final Map<Integer, CompletableFuture<SubAck>> subscriptions = new HashMap<>();
    /** Guarded by {@link #writing}. */
    private int lastPacketId;
    private volatile long lastWrite = System.nanoTime();
    private volatile boolean closed;
    private volatile boolean closedByUs;
    private volatile IOException failure;

    private record Waiting(Publish message, CompletableFuture<PubAck> acknowledged) {
    }

    private MqttConnection(Socket socket, InputStream in, long maxPacketSize, ConnAck connAck, int keepAliveSeconds)
            throws IOException {
        this.socket = socket;
        this.in = in;
        this.out = socket.getOutputStream();
        this.maxPacketSize = maxPacketSize;
        this.connAck = connAck;
        Long serverKeepAlive = connAck.properties().number(MqttProperties.SERVER_KEEP_ALIVE);
        this.keepAliveSeconds = serverKeepAlive != null ? serverKeepAlive.intValue() : keepAliveSeconds;
        Long brokerMax = connAck.properties().number(MqttProperties.MAXIMUM_PACKET_SIZE);
        this.brokerMaxPacketSize = brokerMax != null ? brokerMax : MqttCodec.packetSize(MqttCodec.MAX_VARIABLE);
        Long receiveMaximum = connAck.properties().number(MqttProperties.RECEIVE_MAXIMUM);
        this.sendQuota = receiveMaximum != null ? receiveMaximum.intValue() : 65_535;
        Long maxQos = connAck.properties().number(MqttProperties.MAXIMUM_QOS);
        this.maximumQos = maxQos != null ? maxQos.intValue() : 2;
    }

    /**
     * Connects, sends {@code connect} and waits for the broker's CONNACK.
     *
     * @param tls a TLS socket factory for {@code ssl://} (the broker's certificate is checked against its trust and
     *        {@code host}), or null for a plain socket
     * @param maxPacketSize the Maximum Packet Size {@code connect} announces, enforced on what arrives
     * @throws MqttRefusal when the broker refuses the connection
     * @throws IOException when it cannot be reached, the TLS handshake fails, or it does not answer in time
     */
    public static MqttConnection open(String host, int port, SSLSocketFactory tls, Connect connect,
            long maxPacketSize, int timeoutMillis) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            if (tls != null) {
                SSLSocket secure = (SSLSocket) tls.createSocket(socket, host, port, true);
                SSLParameters parameters = secure.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                secure.setSSLParameters(parameters);
                secure.startHandshake();
                socket = secure;
            }
            socket.getOutputStream().write(MqttCodec.encode(connect));
            // one buffer for the connection's life: what follows the CONNACK may already be in it
            InputStream in = new BufferedInputStream(socket.getInputStream(), 4096);
            MqttPacket answer;
            try {
                answer = MqttCodec.read(in, maxPacketSize);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no CONNACK from the broker within " + timeoutMillis + " ms");
            }
            if (answer == null) {
                throw new EOFException("the broker closed the connection instead of answering the CONNECT");
            }
            if (!(answer instanceof ConnAck ack)) {
                throw MqttProtocolException.protocolError("a " + answer.getClass().getSimpleName()
                        + " packet before the CONNACK");
            }
            if (ack.reasonCode() >= 0x80) {
                throw new MqttRefusal(ack.reasonCode(), ack.properties().text(MqttProperties.REASON_STRING));
            }
            MqttConnection connection = new MqttConnection(socket, in, maxPacketSize, ack, connect.keepAliveSeconds());
            // a live broker answers the pings sent at half the keep alive; none for twice that is a lost connection
            socket.setSoTimeout(connection.keepAliveSeconds == 0 ? 0 : connection.keepAliveSeconds * 2_000);
            return connection;
        } catch (IOException | RuntimeException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw e;
        }
    }

    public ConnAck connAck() {
        return connAck;
    }

    /** The keep alive in force: the Server Keep Alive if the broker set one, else the one asked. */
    public int keepAliveSeconds() {
        return keepAliveSeconds;
    }

    public boolean isOpen() {
        return !closed;
    }

    /**
     * Sends a message. At QoS 1 the future completes with the broker's PUBACK, whose reason code says whether it
     * took the message; at QoS 0 with a success once written. It fails with an {@link IOException} when the
     * connection is or goes down first, or with an {@link MqttProtocolException} (packet too large) when the message
     * is larger than the broker's Maximum Packet Size.
     */
    public CompletableFuture<PubAck> publish(Publish message) {
        if (message.qos() > maximumQos) {
            // a broker that takes QoS 0 only disconnects a client sending more (3.2.2.3.4): the request may be lost,
            // as any request may, and the agent repeats it
            message = new Publish(message.topic(), 0, message.retain(), false, 0, message.properties(),
                    message.payload());
        }
        CompletableFuture<PubAck> acknowledged = new CompletableFuture<>();
        // completed outside the lock: whoever waits may send again at once, and the reader must not wait for it
        IOException failed = null;
        boolean written = false;
        writing.lock();
        try {
            if (message.qos() == 0) {
                write(message);
                written = true;
            } else if (unacknowledged.size() >= sendQuota) {
                waiting.add(new Waiting(message, acknowledged));
            } else {
                sendQos1(message, acknowledged);
            }
        } catch (IOException e) {
            failed = e;
        } finally {
            writing.unlock();
        }
        if (failed != null) {
            acknowledged.completeExceptionally(failed);
        } else if (written) {
            acknowledged.complete(new PubAck(0, 0, new MqttProperties()));
        }
        return acknowledged;
    }

    /** Under {@link #writing}. */
    private void sendQos1(Publish message, CompletableFuture<PubAck> acknowledged) throws IOException {
        int id = packetId();
        unacknowledged.put(id, acknowledged);
        try {
            write(message.withPacketId(id));
        } catch (IOException e) {
            unacknowledged.remove(id);
            throw e;
        }
    }

    /** Subscribes to {@code filters} at {@code maxQos}; completes with the broker's SUBACK. */
    public CompletableFuture<SubAck> subscribe(List<String> filters, int maxQos) {
        CompletableFuture<SubAck> acknowledged = new CompletableFuture<>();
        writing.lock();
        int id = 0;
        try {
            id = packetId();
            subscriptions.put(id, acknowledged);
            write(new Subscribe(id, filters, maxQos, new MqttProperties()));
        } catch (IOException e) {
            subscriptions.remove(id);
            acknowledged.completeExceptionally(e);
        } finally {
            writing.unlock();
        }
        return acknowledged;
    }

    /**
     * A PINGREQ when nothing was sent for half the keep alive; called periodically. Never waits: when another
     * thread is writing, that packet keeps the connection alive.
     */
    public void ping() {
        if (closed || keepAliveSeconds == 0
                || System.nanoTime() - lastWrite < TimeUnit.SECONDS.toNanos(keepAliveSeconds) / 2 - 100_000_000L) {
            return;
        }
        if (writing.tryLock()) {
            try {
                write(new PingReq());
            } catch (IOException e) {
                // the reader sees the connection go
            } finally {
                writing.unlock();
            }
        }
    }

    /** Under {@link #writing}: the next packet id not in use (1 to 65535). */
    private int packetId() throws IOException {
        for (int i = 0; i < 0xFFFF; i++) {
            lastPacketId = lastPacketId % 0xFFFF + 1;
            if (!unacknowledged.containsKey(lastPacketId) && !subscriptions.containsKey(lastPacketId)) {
                return lastPacketId;
            }
        }
        throw new IOException("all 65535 packet identifiers are in use");
    }

    /** Under {@link #writing}. A failed write closes the connection; the reader reports why. */
    private void write(MqttPacket packet) throws IOException {
        if (closed) {
            throw failure != null ? new IOException("the connection is closed: " + failure.getMessage(), failure)
                    : new IOException("the connection is closed");
        }
        byte[] bytes = MqttCodec.encode(packet);
        if (bytes.length > brokerMaxPacketSize) {
            throw new MqttProtocolException(MqttProtocolException.PACKET_TOO_LARGE, "a packet of " + bytes.length
                    + " bytes is over the broker's maximum packet size of " + brokerMaxPacketSize + " bytes");
        }
        try {
            out.write(bytes);
            out.flush();
            lastWrite = System.nanoTime();
        } catch (IOException e) {
            // the reader, blocked on this socket, wakes up and ends the connection with this reason; what waits for
            // an answer is failed there, not under this lock
            if (failure == null) {
                failure = e;
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            throw e;
        }
    }

    /**
     * Reads the broker's packets until the connection ends, acknowledging QoS 1 messages and handing each message
     * to {@code messages}, in this thread. Returns when {@link #close} closed it; otherwise throws why it ended: the
     * broker's DISCONNECT (with its reason), the stream's end, a read timeout, or a packet that breaks the protocol
     * (after sending a DISCONNECT with the matching reason code).
     */
    public void receive(Consumer<Publish> messages) throws IOException {
        try {
            while (true) {
                MqttPacket packet = MqttCodec.read(in, maxPacketSize);
                if (packet == null) {
                    throw new EOFException("the broker closed the connection");
                }
                if (packet instanceof Publish message) {
                    if (message.qos() == 1) {
                        acknowledge(message.packetId());
                    }
                    messages.accept(message);
                } else if (packet instanceof PubAck ack) {
                    acknowledged(ack);
                } else if (packet instanceof SubAck ack) {
                    CompletableFuture<SubAck> subscribed;
                    writing.lock();
                    try {
                        subscribed = subscriptions.remove(ack.packetId());
                    } finally {
                        writing.unlock();
                    }
                    if (subscribed != null) {
                        subscribed.complete(ack);
                    }
                } else if (packet instanceof Disconnect d) {
                    String reason = d.properties().text(MqttProperties.REASON_STRING);
                    throw new IOException("the broker disconnected (reason code " + d.reasonCode() + ", "
                            + ReasonCodes.describe(d.reasonCode()) + (reason == null ? "" : ": " + reason) + ")");
                } else if (!(packet instanceof PingResp)) {
                    throw MqttProtocolException.protocolError("a " + packet.getClass().getSimpleName()
                            + " packet after the CONNACK");
                }
            }
        } catch (MqttProtocolException e) {
            if (closedByUs) {
                return;
            }
            // tell the broker why, as MQTT 5.0 asks (4.13), then close
            sendDisconnect(e.reasonCode());
            shut(e);
            throw e;
        } catch (SocketTimeoutException e) {
            if (closedByUs) {
                return;
            }
            IOException silent = new SocketTimeoutException("nothing from the broker for " + keepAliveSeconds * 2
                    + " s (keep alive " + keepAliveSeconds + " s)");
            shut(silent);
            throw silent;
        } catch (IOException e) {
            if (closedByUs) {
                return;
            }
            // a failed write closed the socket under the reader: that failure is the reason
            IOException why = failure != null ? failure : e;
            shut(why);
            throw why;
        }
    }

    private void acknowledge(int packetId) throws IOException {
        writing.lock();
        try {
            write(new PubAck(packetId, 0, new MqttProperties()));
        } finally {
            writing.unlock();
        }
    }

    /** A PUBACK frees a place in the broker's Receive Maximum for the next waiting message. */
    private void acknowledged(PubAck ack) {
        CompletableFuture<PubAck> done;
        Map<CompletableFuture<PubAck>, IOException> failed = new HashMap<>();
        writing.lock();
        try {
            done = unacknowledged.remove(ack.packetId());
            while (!waiting.isEmpty() && unacknowledged.size() < sendQuota) {
                Waiting next = waiting.poll();
                try {
                    sendQos1(next.message(), next.acknowledged());
                } catch (IOException e) {
                    failed.put(next.acknowledged(), e);
                }
            }
        } finally {
            writing.unlock();
        }
        if (done != null) {
            done.complete(ack);
        }
        failed.forEach(CompletableFuture::completeExceptionally);
    }

    /** Closes the socket once and fails whatever waits for an answer on it. */
    private void shut(IOException why) {
        List<CompletableFuture<?>> orphans = new ArrayList<>();
        writing.lock();
        try {
            if (failure == null && !closed) {
                failure = why;
            }
            closed = true;
            orphans.addAll(unacknowledged.values());
            orphans.addAll(subscriptions.values());
            waiting.forEach(w -> orphans.add(w.acknowledged()));
            unacknowledged.clear();
            subscriptions.clear();
            waiting.clear();
        } finally {
            writing.unlock();
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        IOException lost = new IOException("the connection was lost before the broker answered: "
                + why.getMessage(), why);
        orphans.forEach(f -> f.completeExceptionally(lost));
    }

    /** Sends a DISCONNECT with {@code reasonCode} (0: normal) if it can, then closes. */
    public void close(int reasonCode) {
        if (closed) {
            return;
        }
        closedByUs = true;
        sendDisconnect(reasonCode);
        shut(new IOException("the connection was closed"));
    }

    /** A DISCONNECT, best effort: a broker that no longer reads must not hold the closing thread long. */
    private void sendDisconnect(int reasonCode) {
        boolean locked = false;
        try {
            locked = writing.tryLock(1, TimeUnit.SECONDS);
            if (locked && !closed) {
                out.write(MqttCodec.encode(new Disconnect(reasonCode, new MqttProperties())));
                out.flush();
            }
        } catch (IOException e) {
            // closing anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (locked) {
                writing.unlock();
            }
        }
    }

    @Override
    public void close() {
        close(0);
    }
}
