package org.updraft.device;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Devices of a platform that runs as several nodes (sharing ledger, registry and store): one link per node, each
 * device on one node at a time. When a request of a device gets no answer at all ({@link TimeoutException}: CoAP gave
 * up after its retransmissions, or the DTLS handshake went unanswered), its node is taken for gone and the device
 * moves to the next node: the next request closes the old session and opens one there. The agent's own retry of the
 * failed request is that next request, so nothing is lost: every request of the device API is idempotent, and a
 * download resumes at the bytes the device holds. An answer, even a refusal or "unavailable", is not a reason to
 * move: the node is there. On its new node a device checks first, whatever it was doing: the DTLS device API binds a
 * peer's key to the device id its check names, and refuses other requests of a peer not bound yet (4.03).
 *
 * <p>For links whose requests are answered (CoAP). A session's {@link Session#pushedOffer()} is its current node's;
 * a move leaves the future of the old one uncompleted.
 */
public final class FailoverLink implements DeviceLink {

    private final List<DeviceLink> nodes;
    private final AtomicInteger nextStart = new AtomicInteger();
    private final AtomicLong moves = new AtomicLong();
    /** The node each device is on now (its last one once its session is closed), by device id. */
    private final Map<String, Integer> nodeOf = new ConcurrentHashMap<>();

    /**
     * Devices over {@code nodes}, the first node's timers for all; the links are closed with this one.
     *
     * @throws IllegalArgumentException when there is no link
     */
    public FailoverLink(List<? extends DeviceLink> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a failover link needs at least one node");
        }
        this.nodes = List.copyOf(nodes);
    }

    /** The links, one per node, in the order devices move through them. */
    public List<DeviceLink> nodes() {
        return nodes;
    }

    /** A session on the next node in turn: devices opened one after the other are dealt out round-robin. */
    @Override
    public Session open(SimulatedDevice device) {
        return open(device, Math.floorMod(nextStart.getAndIncrement(), nodes.size()));
    }

    /**
     * A session that starts on node {@code node} (an index into {@link #nodes()}).
     *
     * @throws IndexOutOfBoundsException when there is no such node
     * @throws UncheckedIOException when the node's link cannot open a session
     */
    public Session open(SimulatedDevice device, int node) {
        Objects.checkIndex(node, nodes.size());
        return new FailoverSession(device, node);
    }

    /** How many times a device moved to another node because its node did not answer. */
    public long moves() {
        return moves.get();
    }

    /** The node (index into {@link #nodes()}) the device is on now, or was on when its session closed. */
    public OptionalInt nodeOf(String deviceId) {
        Integer node = nodeOf.get(deviceId);
        return node == null ? OptionalInt.empty() : OptionalInt.of(node);
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return nodes.get(0).scheduler();
    }

    @Override
    public Duration retryDelay() {
        return nodes.get(0).retryDelay();
    }

    /** The largest block every node's link carries: a device keeps its block size when it moves. */
    @Override
    public int maxBlockSize() {
        return nodes.stream().mapToInt(DeviceLink::maxBlockSize).min().orElseThrow();
    }

    @Override
    public String describe() {
        return "failover over " + nodes.size() + " nodes: "
                + nodes.stream().map(DeviceLink::describe).collect(Collectors.joining("; "));
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (DeviceLink node : nodes) {
            try {
                node.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static boolean unanswered(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof TimeoutException;
    }

    /** One device's session on its current node. */
    private final class FailoverSession implements Session {

        private final SimulatedDevice device;
        /** Guarded by this. */
        private int node;
        private Session current;
        /** The session whose request went unanswered: the next request moves the device off its node. */
        private Session unanswered;
        private long retransmissionsBefore;
        private boolean closed;
        /** Whether the device checked on its current node (it starts with a check; after a move it has not). */
        private boolean introduced = true;

        FailoverSession(SimulatedDevice device, int node) {
            this.device = device;
            this.node = node;
            this.current = nodes.get(node).open(device);
            nodeOf.put(device.id(), node);
        }

        @Override
        public CompletableFuture<Reply> check(long sequence, byte[] nonce) {
            return call(true, s -> s.check(sequence, nonce));
        }

        @Override
        public CompletableFuture<Reply> block(String cid, long offset, int length) {
            return call(false, s -> s.block(cid, offset, length));
        }

        @Override
        public CompletableFuture<Reply> report(byte[] signed) {
            return call(false, s -> s.report(signed));
        }

        @Override
        public CompletableFuture<Reply> enroll(byte[] signed) {
            return call(true, s -> s.enroll(signed));
        }

        @Override
        public CompletableFuture<Reply> consistency(long first, long second) {
            return call(false, s -> s.consistency(first, second));
        }

        @Override
        public synchronized CompletableFuture<byte[]> pushedOffer() {
            return current.pushedOffer();
        }

        @Override
        public synchronized long retransmissions() {
            return retransmissionsBefore + current.retransmissions();
        }

        @Override
        public synchronized void close() {
            closed = true;
            current.close();
        }

        /**
         * @param introduces whether the request binds the device to its DTLS peer on its own (a check, an
         *        enrollment); any other is preceded by a check on a node the device has not checked on yet
         */
        private CompletableFuture<Reply> call(boolean introduces, Function<Session, CompletableFuture<Reply>> request) {
            Session on;
            boolean introduced;
            try {
                synchronized (this) {
                    on = sessionNow();
                    introduced = this.introduced;
                }
            } catch (UncheckedIOException e) {
                // the next node cannot be reached from here either: the agent repeats the request later
                return CompletableFuture.failedFuture(new TimeoutException(device.id() + ": no session on node "
                        + node + ": " + e.getMessage()));
            }
            CompletableFuture<Reply> sent;
            if (introduces || introduced) {
                sent = request.apply(on);
            } else {
                // its answer does not matter here: the agent checks again when it is done with the update
                sent = watch(on, on.check(device.flash().running().sequence(), new byte[0]))
                        .thenCompose(checked -> request.apply(on));
            }
            return watch(on, sent).whenComplete((reply, error) -> {
                if (error == null) {
                    synchronized (this) {
                        if (on == current) {
                            this.introduced = true;
                        }
                    }
                }
            });
        }

        /** Notes a request of {@code on} that went unanswered: the device moves off that node with its next one. */
        private CompletableFuture<Reply> watch(Session on, CompletableFuture<Reply> request) {
            return request.whenComplete((reply, error) -> {
                if (error != null && unanswered(error)) {
                    synchronized (this) {
                        // only the session it happened on: a late timeout of the old node must not move it again
                        if (on == current) {
                            unanswered = on;
                        }
                    }
                }
            });
        }

        /**
         * The session to send on: the current one, or one on the next node when the current one's node did not
         * answer. Moving here, in the agent's next request, rather than in the failed request's callback keeps the
         * closing of the old endpoint off the protocol threads that complete its requests.
         */
        private synchronized Session sessionNow() {
            if (unanswered != current || closed || nodes.size() == 1) {
                return current;
            }
            int next = (node + 1) % nodes.size();
            Session opened = nodes.get(next).open(device);
            retransmissionsBefore += current.retransmissions();
            current.close();
            current = opened;
            unanswered = null;
            introduced = false;
            node = next;
            nodeOf.put(device.id(), next);
            moves.incrementAndGet();
            return current;
        }
    }
}
