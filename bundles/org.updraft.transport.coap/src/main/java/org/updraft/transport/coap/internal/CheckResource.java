package org.updraft.transport.coap.internal;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.CoAP.Type;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.observe.ObserveRelation;
import org.eclipse.californium.core.server.resources.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.serving.ReleaseImages;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceIds;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.work.CoalescingSweep;

/**
 * {@code /check/{device-id}?seq=N}: what the device should install, with ETag (2.03 Valid when unchanged) and
 * Observe (RFC 7641).
 *
 * <p>How a rollout change reaches observers cheaply: each observing device has its own child resource
 * ({@link DeviceCheck}), made when the request arrives and kept only while it has an observe relation; it
 * remembers the sequence the device reported, the rollout of its last answer and that answer's tag. When a
 * rollout changes ({@link #answersChanged}), one sweep on the server's executor walks the observed devices,
 * skips those whose last answer came from another rollout (their answer cannot change with this one), asks
 * the update service again for the rest, and notifies only devices whose answer's tag changed. Changes that
 * arrive during a sweep are coalesced into the next one. Unchanged devices cost one {@code check} and no
 * datagram; a device's notification is its own resource's {@code changed()}, which touches no other relation.
 */
final class CheckResource extends DeviceApiResource {

    private static final Logger LOG = LoggerFactory.getLogger(CheckResource.class);
    private static final List<String> QUERY = List.of("seq", "nonce");

    private final UpdateService updates;
    private final ReleaseImages images;
    private final Limits limits;
    private final PeerBinding binding;
    private final CoalescingSweep<String> changedRollouts;
    /** The observation of each device: one, the newest (see {@link DeviceCheck#addObserveRelation}). */
    private final Map<String, DeviceCheck> observed = new ConcurrentHashMap<>();

    CheckResource(UpdateService updates, ReleaseImages images, Limits limits, PeerBinding binding, Executor sweeps) {
        super("check");
        this.binding = binding;
        this.updates = updates;
        this.images = images;
        this.limits = limits;
        this.changedRollouts = new CoalescingSweep<>(sweeps, this::sweep);
    }

    @Override
    Response answer(Request request) throws Refusal {
        throw Refusal.badRequest("name the device: GET /check/{device-id}?seq={installed-sequence}")
                .countedAs("bad-path");
    }

    @Override
    public Resource getChild(String name) {
        if (!DeviceIds.isValid(name)) {
            return new InvalidDeviceId(this, name);
        }
        // a fresh resource per request: Californium keeps the ones with an observe relation alive, and so do we
        DeviceCheck check = new DeviceCheck(name);
        check.setParent(this);
        return check;
    }

    /** Devices observing now. */
    int observers() {
        return observed.size();
    }

    /** Called by the update service's thread: queues a sweep and returns. */
    void answersChanged(String rolloutId) {
        changedRollouts.changed(rolloutId == null ? "" : rolloutId);
    }

    private void sweep(Set<String> rollouts) {
        int notified = 0;
        for (DeviceCheck device : observed.values()) {
            if (device.mayChangeWith(rollouts) && device.answerChanged()) {
                device.changed();
                notified++;
            }
        }
        LOG.debug("Rollouts {} changed: notified {} of {} observing devices", rollouts, notified, observed.size());
    }

    /** The check resource of one device; observable. */
    private final class DeviceCheck extends DeviceApiResource {

        private final String deviceId;
        // what this device was last told, for the sweep: written by the request threads, read by the sweep
        private volatile long lastSequence;
        /** Whether the last request came over DTLS from the device's own key (bound above), not plain CoAP. */
        private volatile boolean lastAuthenticated;
        private volatile String lastRollout;
        private volatile byte[] lastTag = new byte[0];

        DeviceCheck(String deviceId) {
            super(deviceId);
            this.deviceId = deviceId;
            setObservable(true);
            setObserveType(Type.CON);
            setVisible(false);
        }

        @Override
        Response answer(Request request) throws Refusal {
            if (request.getCode() != Code.GET) {
                throw Refusal.methodNotAllowed(request.getCode() + " is not allowed on /check/{device-id}; use GET");
            }
            // over DTLS, only the device's own key asks for its answers (and observes them)
            binding.requireDevice(request, deviceId);
            Query query = query(request);
            long sequence = query.sequence();
            // a plain request names the device and proves nothing: its first offer takes no download slot
            boolean authenticated = PeerBinding.peerKey(request) != null;
            UpdateAnswer answer;
            try {
                answer = updates.check(deviceId, sequence, authenticated);
            } catch (UpdateException e) {
                throw Refusal.of(e, limits.unavailableMaxAge());
            }
            byte[] tag = answer.tag();
            lastSequence = sequence;
            lastAuthenticated = authenticated;
            lastRollout = answer instanceof UpdateAnswer.Offer offer ? offer.rolloutId() : null;
            lastTag = tag;
            long maxAge = limits.checkMaxAge();
            if (answer instanceof UpdateAnswer.Offer offer) {
                images.learn(offer);
            } else if (answer instanceof UpdateAnswer.NoUpdate none && none.retryAfter() != null) {
                maxAge = Math.max(0, none.retryAfter().toSeconds());
            }
            byte[] etag = tag.length <= 8 ? tag : Arrays.copyOf(tag, 8);
            Response response;
            // a device that sends a nonce wants the platform's statement for this request: a 2.03 would carry none
            if (etag.length > 0 && query.nonce().length == 0 && request.getOptions().containsETag(etag)) {
                response = new Response(ResponseCode.VALID);
            } else {
                byte[] statement;
                try {
                    statement = updates.statement(deviceId, answer, query.nonce());
                } catch (UpdateException e) {
                    throw Refusal.of(e, limits.unavailableMaxAge());
                }
                response = new Response(ResponseCode.CONTENT);
                response.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_CBOR);
                response.setPayload(UpdateAnswers.encode(answer, statement));
            }
            if (etag.length > 0) {
                response.getOptions().addETag(etag);
            }
            response.getOptions().setMaxAge(maxAge);
            return response;
        }

        boolean mayChangeWith(Set<String> rollouts) {
            String rollout = lastRollout;
            // told "nothing new": any rollout that starts or advances may now include this device
            return rollout == null || rollouts.contains(rollout);
        }

        /** Asks again with what the device said last; true when the answer differs (or is now refused). */
        boolean answerChanged() {
            try {
                return !Arrays.equals(updates.check(deviceId, lastSequence, lastAuthenticated).tag(), lastTag);
            } catch (UpdateException e) {
                // an outage is not news for the device; an unknown device learns it, and its observation ends
                return !"unavailable".equals(e.code());
            } catch (RuntimeException e) {
                LOG.warn("Re-checking device {} after a rollout change failed", deviceId, e);
                return false;
            }
        }

        @Override
        public void addObserveRelation(ObserveRelation relation) {
            super.addObserveRelation(relation);
            DeviceCheck previous = observed.put(deviceId, this);
            if (previous != null && previous != this) {
                // one observation per device, the newest: a device that observes again (from a new port after a NAT
                // rebinding, or after a restart) replaces its old one, and whoever observes one device id over and
                // over holds one relation, not one of the server's max.observers slots each time. Cancelled
                // silently: devices poll at Max-Age anyway
                previous.clearObserveRelations();
            }
        }

        @Override
        public void removeObserveRelation(ObserveRelation relation) {
            super.removeObserveRelation(relation);
            if (getObserverCount() == 0) {
                observed.remove(deviceId, this);
            }
        }

        @Override
        public Resource getChild(String name) {
            return new NoSuchPath(this, name);
        }

        /** {@code seq}, once, and {@code nonce}, at most once: nothing else. */
        private Query query(Request request) throws Refusal {
            String sequence = null;
            String nonce = null;
            for (String part : request.getOptions().getUriQuery()) {
                int eq = part.indexOf('=');
                String key = eq < 0 ? part : part.substring(0, eq);
                String value = eq < 0 ? "" : part.substring(eq + 1);
                if (!QUERY.contains(key)) {
                    throw Refusal.badRequest("unknown query parameter '" + key + "'; /check takes only seq and "
                            + "nonce").countedAs("bad-query");
                }
                if (key.equals("seq") ? sequence != null : nonce != null) {
                    throw Refusal.badRequest(key + " is given twice").countedAs("bad-query");
                }
                if (key.equals("seq")) {
                    sequence = value;
                } else {
                    nonce = value;
                }
            }
            if (sequence == null) {
                throw Refusal.badRequest("missing ?seq=N, the sequence number of the installed image")
                        .countedAs("bad-query");
            }
            return new Query(unsignedQueryValue("seq", sequence), nonce == null ? new byte[0] : nonce(nonce));
        }

        private static byte[] nonce(String hex) throws Refusal {
            if (hex.isEmpty() || hex.length() % 2 != 0 || hex.length() > 2 * AnswerStatements.MAX_NONCE_BYTES) {
                throw Refusal.badRequest("nonce must be 1 to " + AnswerStatements.MAX_NONCE_BYTES + " bytes in hex, "
                        + "not '" + (hex.length() > 80 ? hex.substring(0, 77) + "..." : hex) + "'")
                        .countedAs("bad-query");
            }
            try {
                return HexFormat.of().parseHex(hex);
            } catch (IllegalArgumentException e) {
                throw Refusal.badRequest("nonce must be hex digits, not '" + hex + "'").countedAs("bad-query");
            }
        }
    }

    /** A check's query: the installed sequence, and the nonce the platform's statement must name (maybe empty). */
    private record Query(long sequence, byte[] nonce) {
    }

    /** A path segment that is not a device id. */
    private static final class InvalidDeviceId extends DeviceApiResource {

        InvalidDeviceId(Resource parent, String name) {
            super(name);
            setParent(parent);
        }

        @Override
        Response answer(Request request) throws Refusal {
            try {
                DeviceIds.check(getName());
                throw Refusal.badRequest("not a device id: '" + getName() + "'").countedAs("bad-path");
            } catch (IllegalArgumentException e) {
                throw Refusal.badRequest(e.getMessage()).countedAs("bad-path");
            }
        }

        @Override
        public Resource getChild(String name) {
            return this;
        }
    }
}
