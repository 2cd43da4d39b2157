package org.updraft.device;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

import org.osgi.annotation.versioning.ProviderType;

/**
 * How device agents reach the platform: {@link CoapLink} (CoAP over UDP, endpoints shared by many agents) or
 * {@link MqttLink} (MQTT 5 through the fleet's broker, one connection per device). The agent does the update
 * (verify, download, install, report) the same way on either; a link only carries its four requests.
 */
@ProviderType
public interface DeviceLink extends AutoCloseable {

    /**
     * Opens the device's own way to the platform. An MQTT link connects the device to the broker here; the
     * session is closed with the link or by {@link Session#close()}.
     */
    Session open(SimulatedDevice device);

    /**
     * Timers for the agents on this link (retries, polls, offline spells), stopped by {@link #close()}. Whoever runs
     * agents on the link may schedule short tasks of its own on it rather than start threads; a task must not block.
     */
    ScheduledExecutorService scheduler();

    /** How long an agent waits before repeating a request the link gave up on, unless told otherwise. */
    Duration retryDelay();

    /**
     * The largest download block an agent may ask for on this link, a power of two: 1024 for CoAP (block-wise
     * SZX 6), more where the protocol carries it (MQTT: the platform cuts a block to the device's Maximum Packet
     * Size).
     */
    default int maxBlockSize() {
        return DeviceAgent.COAP_MAX_BLOCK;
    }

    /** One line for an operator: the protocol, where the platform is, how it goes. */
    String describe();

    @Override
    void close();

    /**
     * One device's requests to the platform. Each completes with the platform's {@link Reply}, or exceptionally
     * with a {@link java.util.concurrent.TimeoutException} when no answer came (the request may be repeated: every
     * request of the device API is idempotent).
     */
    @ProviderType
    interface Session extends AutoCloseable {

        /**
         * A check by a device running sequence {@code sequence}; a success carries the answer's CBOR.
         *
         * @param nonce the request's nonce, which the platform's statement about the answer must name; empty for
         *        none (the platform may then answer "unchanged" from the device's last answer)
         */
        CompletableFuture<Reply> check(long sequence, byte[] nonce);

        /**
         * Up to {@code length} bytes of the image {@code cid} from {@code offset}: a success carries the bytes and
         * the offset they start at, which may be before {@code offset} (CoAP answers whole blocks), never after.
         */
        CompletableFuture<Reply> block(String cid, long offset, int length);

        /** A signed report (COSE_Sign1); a resend of the same bytes is a retransmission the platform records once. */
        CompletableFuture<Reply> report(byte[] signed);

        /** A signed enrollment (COSE_Sign1). */
        CompletableFuture<Reply> enroll(byte[] signed);

        /**
         * Asks for the ledger's consistency proof from tree size {@code first} to {@code second}: OK with the proof
         * ({@code org.updraft.core.update.UpdateAnswers#decodeConsistency}), refused when the ledger has no such
         * tree (fewer events than {@code second}), unavailable when it cannot answer now.
         */
        CompletableFuture<Reply> consistency(long first, long second);

        /**
         * An offer the platform pushes without being asked (MQTT's retained offer topic): completes with the offer's
         * CBOR, the same bytes a check answers, at once when one was pushed since the last call, or with the next
         * one. Only the future of the latest call is completed. A link that does not push never completes it.
         */
        CompletableFuture<byte[]> pushedOffer();

        /** Protocol-level resends of this device's requests so far (CoAP retransmissions). */
        long retransmissions();

        @Override
        void close();
    }

    /**
     * The platform's answer to one request.
     *
     * @param status how it went
     * @param payload a success's payload (check answer, block data, report receipt), empty otherwise
     * @param offset where a block's data starts in the image; 0 for other answers
     * @param more whether the image goes on after this block's data
     * @param retryAfter with {@link Status#UNAVAILABLE}: when to ask again, if the platform said; otherwise null
     * @param diagnostic with {@link Status#REFUSED} or {@link Status#UNAVAILABLE}: the error code and the
     *        platform's one-line diagnostic, to log
     */
    record Reply(Status status, byte[] payload, long offset, boolean more, Duration retryAfter, String diagnostic) {

        public Reply {
            Objects.requireNonNull(status, "status");
            payload = payload == null ? new byte[0] : payload;
            diagnostic = diagnostic == null ? "" : diagnostic;
        }

        public static Reply ok(byte[] payload) {
            return new Reply(Status.OK, payload, 0, false, null, null);
        }

        public static Reply block(long offset, byte[] data, boolean more) {
            return new Reply(Status.OK, data, offset, more, null, null);
        }

        public static Reply unavailable(Duration retryAfter, String diagnostic) {
            return new Reply(Status.UNAVAILABLE, null, 0, false, retryAfter, diagnostic);
        }

        public static Reply refused(String diagnostic) {
            return new Reply(Status.REFUSED, null, 0, false, null, diagnostic);
        }

        public boolean isOk() {
            return status == Status.OK;
        }

        @Override
        public String toString() {
            return "Reply[" + status + (isOk() ? ", " + payload.length + " bytes" : ", " + diagnostic) + "]";
        }
    }

    /** How a request went. */
    enum Status {
        /** Answered. */
        OK,
        /** The platform cannot answer now (its store, registry or ledger is down): ask again later. */
        UNAVAILABLE,
        /** The platform refused the request; asking again gets the same answer. */
        REFUSED
    }
}
