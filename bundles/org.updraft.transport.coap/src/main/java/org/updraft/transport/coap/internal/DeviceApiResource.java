package org.updraft.transport.coap.internal;

import java.nio.charset.StandardCharsets;

import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.Exchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A resource of the device API. Every request ends in exactly one response built by {@link #answer}: a
 * {@link Refusal} becomes its code with a one-line diagnostic (counted as malformed input when it says of which
 * kind), and any other exception becomes 5.00 (counted by class, its stack trace logged at most once a minute per
 * class), so that nothing escapes to Californium's threads.
 */
abstract class DeviceApiResource extends CoapResource {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceApiResource.class);

    DeviceApiResource(String name) {
        super(name);
    }

    /** Answers the request, or throws a {@link Refusal} naming what is wrong with it. */
    abstract Response answer(Request request) throws Refusal;

    @Override
    public final void handleRequest(Exchange exchange) {
        Request request = exchange.getRequest();
        Response response;
        try {
            response = answer(request);
        } catch (Refusal refusal) {
            DeviceApiRoot root = root();
            if (refusal.kind() != null && refusal.peer() && root != null) {
                root.refusedPeers().refused(refusal.kind(), request.getCode() + " " + path(request) + " from "
                        + request.getSourceContext().getPeerAddress() + ": " + refusal.getMessage());
            } else if (refusal.kind() != null && root != null) {
                root.malformed().refused(refusal.kind(), request.getCode() + " " + path(request) + ": "
                        + refusal.getMessage());
            }
            response = refused(refusal);
        } catch (RuntimeException e) {
            // a platform bug, which some input may trigger at will: its stack trace at most once a minute per class
            DeviceApiRoot root = root();
            String kind = e.getClass().getSimpleName();
            if (root == null || root.failures().refused(kind, path(request))) {
                LOG.warn("CoAP {} {} failed ({} {} so far; a stack trace at most once a minute per exception class, "
                        + "the others at DEBUG)", request.getCode(), path(request),
                        root == null ? 1 : root.failures().count(kind), kind, e);
            } else {
                LOG.debug("CoAP {} {} failed", request.getCode(), path(request), e);
            }
            response = refused(Refusal.internal("internal error (" + kind + "); the platform's log has the details"));
        }
        exchange.sendResponse(response);
    }

    /**
     * The root, which holds the transport's counters: every resource answers below it (null for a resource not
     * attached to a device API, which no request reaches).
     */
    private DeviceApiRoot root() {
        Resource resource = this;
        while (resource.getParent() != null) {
            resource = resource.getParent();
        }
        return resource instanceof DeviceApiRoot root ? root : null;
    }

    /** A query parameter's value as an unsigned decimal number up to 2^63-1, or why it is not one. */
    static long unsignedQueryValue(String key, String value) throws Refusal {
        if (value.isEmpty() || value.length() > 19 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Refusal.badRequest(key + " must be an unsigned decimal number, not '" + value + "'")
                    .countedAs("bad-query");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw Refusal.badRequest(key + " " + value + " is larger than 2^63-1").countedAs("bad-query");
        }
    }

    static Response refused(Refusal refusal) {
        Response response = new Response(refusal.code());
        response.getOptions().setContentFormat(MediaTypeRegistry.TEXT_PLAIN);
        response.setPayload(refusal.getMessage().getBytes(StandardCharsets.UTF_8));
        if (refusal.maxAge() >= 0) {
            response.getOptions().setMaxAge(refusal.maxAge());
        }
        return response;
    }

    /** Paths below a resource that has no children of that name answer 4.04 with a diagnostic. */
    @Override
    public Resource getChild(String name) {
        Resource child = super.getChild(name);
        return child != null ? child : new NoSuchPath(this, name);
    }

    static String path(Request request) {
        return "/" + request.getOptions().getUriPathString();
    }

    /** Where a request for a path the device API does not have ends. */
    static final class NoSuchPath extends DeviceApiResource {

        NoSuchPath(Resource parent, String name) {
            super(name);
            setParent(parent);
        }

        @Override
        Response answer(Request request) throws Refusal {
            throw Refusal.notFound("no resource " + path(request)
                    + "; the device API has /check/{device-id}?seq=N, /fw/{cid}, /report and /enroll");
        }

        @Override
        public Resource getChild(String name) {
            return this;
        }
    }
}
