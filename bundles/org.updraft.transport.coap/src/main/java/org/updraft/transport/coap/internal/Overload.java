package org.updraft.transport.coap.internal;

import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.updraft.core.serving.CountedRefusals;

/**
 * How much work the CoAP device API lets wait, and what it refuses beyond that. Every datagram the socket receives
 * is queued for Californium's protocol threads; a flood (spoofed or not) would grow that queue, and with it the heap
 * and every device's wait, without bound. So the datagrams waiting are counted from the socket's receiver thread
 * ({@link #admit}) to the moment a protocol thread starts parsing one ({@link #taken}):
 * <ul>
 * <li>above {@code dropAbove} a new datagram is dropped at the socket, before it is copied into the queue or
 * parsed ({@code overload-dropped});</li>
 * <li>above {@code shedAbove} a new request is answered at once with 5.03 and a Max-Age instead of being served
 * ({@code overload-shed}): a device learns to come back later, which a drop would not tell it;</li>
 * <li>with a per-peer limit, a source address's requests beyond it in one second are answered the same way
 * ({@code peer-rate-limited}).</li>
 * </ul>
 * The Max-Age of those 5.03 answers is jittered between the configured seconds and half as much again, so that a
 * fleet shed at the same moment does not come back at the same moment. The answers carry no payload: sent to an
 * address nobody proved, they must not be larger than the request they answer (amplification).
 */
final class Overload {

    static final String DROPPED = "overload-dropped";
    static final String SHED = "overload-shed";
    static final String PEER_LIMITED = "peer-rate-limited";

    private final int shedAbove;
    private final int dropAbove;
    private final long maxAge;
    /** Null when there is no per-peer limit. */
    private final PeerRates peers;
    private final CountedRefusals refusals;
    /** Made once: a drop, on the socket's one receiver thread, costs a counter and no string. */
    private final String dropped;
    private final String shed;
    private final AtomicInteger waiting = new AtomicInteger();
    /** The most datagrams that waited at once since the start. */
    private final AtomicInteger mostWaiting = new AtomicInteger();

    Overload(Limits limits, CountedRefusals refusals) {
        this.shedAbove = limits.shedAbove();
        this.dropAbove = limits.dropAbove();
        this.maxAge = limits.overloadMaxAge();
        this.peers = limits.peerRequestsPerSecond() > 0 ? new PeerRates(limits.peerRequestsPerSecond()) : null;
        this.refusals = refusals;
        this.dropped = "more than " + dropAbove + " datagrams waiting for the protocol threads; new ones are dropped "
                + "unread";
        this.shed = "more than " + shedAbove + " datagrams waiting for the protocol threads; new requests are "
                + "answered 5.03";
    }

    /** Reports overload at WARN through the transport's logger, at most once a minute per kind. */
    static CountedRefusals logged(org.slf4j.Logger log) {
        return new CountedRefusals(CountedRefusals.INTERVAL, System::nanoTime, (kind, since, total, detail) -> log
                .warn("CoAP device API overloaded: {}, {} since the last line of this kind ({} in all; at most one "
                        + "line a minute per kind); {}", kind, since, total, detail));
    }

    /**
     * On the socket's receiver thread, for each datagram: whether it may wait for a protocol thread. One that may
     * not is counted and dropped.
     */
    boolean admit() {
        int now = waiting.incrementAndGet();
        if (now > dropAbove) {
            waiting.decrementAndGet();
            refusals.refused(DROPPED, dropped);
            return false;
        }
        mostWaiting.accumulateAndGet(now, Math::max);
        return true;
    }

    /** A protocol thread took a datagram from the queue (it starts parsing it). */
    void taken() {
        // never below zero, so that a parse without an admission (none is known) cannot loosen the bound
        waiting.getAndUpdate(w -> w > 0 ? w - 1 : 0);
    }

    /**
     * Before a request is served: the 5.03 to answer instead when the server is overloaded or the peer is over its
     * limit, else null.
     */
    Response shed(Request request) {
        int now = waiting.get();
        if (now > shedAbove) {
            refusals.refused(SHED, shed);
            return unavailable();
        }
        if (peers != null) {
            InetAddress peer = request.getSourceContext().getPeerAddress().getAddress();
            if (!peers.allow(peer)) {
                refusals.refused(PEER_LIMITED, peer.getHostAddress() + " sent more than " + peers.perSecond()
                        + " requests in a second; answered with 5.03");
                return unavailable();
            }
        }
        return null;
    }

    private Response unavailable() {
        Response response = new Response(ResponseCode.SERVICE_UNAVAILABLE);
        response.getOptions().setMaxAge(jittered(maxAge));
        return response;
    }

    /** Between {@code seconds} and one and a half times as many. */
    static long jittered(long seconds) {
        return seconds + ThreadLocalRandom.current().nextLong(seconds / 2 + 1);
    }

    int waiting() {
        return waiting.get();
    }

    int mostWaiting() {
        return mostWaiting.get();
    }

    CountedRefusals refusals() {
        return refusals;
    }

    /** For the status line: empty until something was shed or dropped. */
    String summary() {
        String refused = refusals.summary();
        return refused.isEmpty() ? "" : refused + " (most datagrams waiting at once " + mostWaiting.get() + "; 5.03 above "
                + shedAbove + ", dropped above " + dropAbove + ")";
    }
}
