package org.updraft.transport.ddi.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.updraft.api.device.DeviceState;
import org.updraft.api.update.UpdateAnswer;

/**
 * The DDI actions devices were shown. An action is a rollout's offer to one device; its id, which DDI clients
 * hold as a 32-bit integer, is derived from the rollout id, so that every node of a platform and every restart
 * gives the same offer the same id. Only the device's own offers are ever looked up by id, so two rollouts whose
 * ids meet in 31 bits would have to be offered to the same device at once to be confused.
 *
 * <p>What is kept here is what the ledger does not need: the offer last shown to each device (to answer its
 * feedback and downloads after the rollout moved on), the {@code offer.cbor} bytes whose hashes its deployment
 * named, and the latest state reported, so that a client repeating "proceeding" makes one report. At most
 * {@link #MAX_DEVICES} devices are kept, the least recently seen forgotten first; a forgotten device's current
 * offer is found again by its next poll.
 */
final class Actions {

    static final int MAX_DEVICES = 100_000;
    /** How long the offer.cbor of a deployment is served unchanged: its statement is signed for a while. */
    static final Duration OFFER_BYTES_REUSE = Duration.ofMinutes(5);

    /** One device's action. */
    static final class Action {
        final long id;
        final UpdateAnswer.Offer offer;
        byte[] offerBytes;
        Instant offerBytesMade;
        volatile DeviceState reported;
        volatile boolean cancelAcknowledged;

        Action(long id, UpdateAnswer.Offer offer) {
            this.id = id;
            this.offer = offer;
        }

        boolean finished() {
            return reported != null && reported.isFinal();
        }
    }

    private final Map<String, Action> byDevice = new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Action> eldest) {
            return size() > MAX_DEVICES;
        }
    };

    /** The action id of a rollout's offers: 1 to 2^31-1. */
    static long actionId(String rolloutId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(rolloutId.getBytes(StandardCharsets.UTF_8));
            long id = ((d[0] & 0x7fL) << 24) | ((d[1] & 0xffL) << 16) | ((d[2] & 0xffL) << 8) | (d[3] & 0xffL);
            return id == 0 ? 1 : id;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The device is offered this now: its action, the one it had when it is the same rollout's. */
    synchronized Action offered(String device, UpdateAnswer.Offer offer) {
        long id = actionId(offer.rolloutId());
        Action known = byDevice.get(device);
        if (known != null && known.id == id && known.offer.release().id().equals(offer.release().id())) {
            return known;
        }
        Action fresh = new Action(id, offer);
        byDevice.put(device, fresh);
        return fresh;
    }

    /** The device's last action, whatever its state. */
    synchronized Optional<Action> last(String device) {
        return Optional.ofNullable(byDevice.get(device));
    }

    /** The device's action with this id, if it is the last one it was shown. */
    synchronized Optional<Action> find(String device, long actionId) {
        Action a = byDevice.get(device);
        return a != null && a.id == actionId ? Optional.of(a) : Optional.empty();
    }

    /**
     * Whether a report of {@code state} moves the action on: a final state is reported once, and a step back (a
     * "proceeding" after "downloaded") or the same step again is not reported.
     */
    synchronized boolean advances(Action action, DeviceState state) {
        if (action.reported == null) {
            return true;
        }
        if (action.reported.isFinal()) {
            return false;
        }
        return state.isFinal() || state.ordinal() > action.reported.ordinal();
    }

    synchronized void reported(Action action, DeviceState state) {
        action.reported = state;
    }

    /** The offer.cbor bytes of the action: made anew when older than {@link #OFFER_BYTES_REUSE}. */
    synchronized byte[] offerBytes(Action action, Instant now, java.util.function.Supplier<byte[]> make) {
        if (action.offerBytes == null || action.offerBytesMade.plus(OFFER_BYTES_REUSE).isBefore(now)) {
            action.offerBytes = make.get();
            action.offerBytesMade = now;
        }
        return action.offerBytes;
    }

    /** The offer.cbor bytes a deployment named, for its download; null when none was made. */
    synchronized byte[] offerBytesShown(Action action) {
        return action.offerBytes;
    }

    synchronized void cancelAcknowledged(Action action) {
        action.cancelAcknowledged = true;
    }

    synchronized int size() {
        return byDevice.size();
    }
}
