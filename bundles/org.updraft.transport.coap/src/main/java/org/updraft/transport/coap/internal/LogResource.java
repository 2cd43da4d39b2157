package org.updraft.transport.coap.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.update.UpdateAnswers;

/**
 * {@code /log}, what a device asks of the transparency log itself: {@code GET /log/consistency?first=N&second=M},
 * the consistency proof between two tree sizes, for a device shown a checkpoint of another size than the one it
 * verified before. The proof names no device, so it needs none.
 */
final class LogResource extends DeviceApiResource {

    LogResource(UpdateService updates, Limits limits) {
        super("log");
        add(new Consistency(updates, limits));
    }

    @Override
    Response answer(Request request) throws Refusal {
        throw Refusal.notFound("name what of the log: GET /log/consistency?first=N&second=M");
    }

    /** {@code /log/consistency?first=N&second=M}. */
    static final class Consistency extends DeviceApiResource {

        private static final List<String> QUERY = List.of("first", "second");

        private final UpdateService updates;
        private final Limits limits;

        Consistency(UpdateService updates, Limits limits) {
            super("consistency");
            this.updates = updates;
            this.limits = limits;
        }

        @Override
        Response answer(Request request) throws Refusal {
            if (request.getCode() != Code.GET) {
                throw Refusal.methodNotAllowed(request.getCode() + " is not allowed on /log/consistency; use GET");
            }
            Map<String, Long> sizes = sizes(request);
            byte[] proof;
            try {
                proof = UpdateAnswers.encodeConsistency(updates.consistency(sizes.get("first"), sizes.get("second")));
            } catch (UpdateException e) {
                throw Refusal.of(e, limits.unavailableMaxAge());
            }
            Response response = new Response(ResponseCode.CONTENT);
            response.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_CBOR);
            response.setPayload(proof);
            return response;
        }

        /** Both tree sizes, once each, as unsigned decimal numbers; nothing else. */
        private static Map<String, Long> sizes(Request request) throws Refusal {
            Map<String, Long> sizes = new HashMap<>();
            for (String part : request.getOptions().getUriQuery()) {
                int eq = part.indexOf('=');
                String key = eq < 0 ? part : part.substring(0, eq);
                String value = eq < 0 ? "" : part.substring(eq + 1);
                if (!QUERY.contains(key)) {
                    throw Refusal.badRequest("unknown query parameter '" + key + "'; /log/consistency takes first "
                            + "and second").countedAs("bad-query");
                }
                if (sizes.containsKey(key)) {
                    throw Refusal.badRequest(key + " is given twice").countedAs("bad-query");
                }
                sizes.put(key, unsignedQueryValue(key, value));
            }
            for (String key : QUERY) {
                if (!sizes.containsKey(key)) {
                    throw Refusal.badRequest("missing ?" + key + "=N, a tree size").countedAs("bad-query");
                }
            }
            return sizes;
        }
    }
}
