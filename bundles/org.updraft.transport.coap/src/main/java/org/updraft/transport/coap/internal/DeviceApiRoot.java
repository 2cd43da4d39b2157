package org.updraft.transport.coap.internal;

import java.nio.charset.StandardCharsets;

import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.updraft.core.serving.CountedRefusals;

/**
 * The root of the device API: {@code GET /} names the resources; unknown paths get 4.04 with a diagnostic. It holds
 * the transport's counters of malformed input and of failed requests for the resources below it.
 */
final class DeviceApiRoot extends DeviceApiResource {

    static final String INDEX = "Updraft device API: GET /check/{device-id}?seq=N (Observe), GET /fw/{cid} "
            + "(Block2), POST /report, POST /enroll, GET /log/consistency?first=N&second=M";

    private final CountedRefusals malformed;
    /** Requests that failed with a platform bug, by exception class; the resources log them themselves. */
    private final CountedRefusals failures = new CountedRefusals(CountedRefusals.INTERVAL, System::nanoTime,
            (kind, since, total, detail) -> { });

    /** DTLS peers refused for the key they proved (4.03), by kind; logged at most once a minute per kind. */
    private final CountedRefusals refusedPeers;

    DeviceApiRoot(CountedRefusals malformed) {
        this(malformed, new CountedRefusals(DeviceApiRoot.class, "CoAP device API refused a DTLS peer for its key"));
    }

    DeviceApiRoot(CountedRefusals malformed, CountedRefusals refusedPeers) {
        super("");
        this.malformed = malformed;
        this.refusedPeers = refusedPeers;
    }

    CountedRefusals refusedPeers() {
        return refusedPeers;
    }

    CountedRefusals malformed() {
        return malformed;
    }

    CountedRefusals failures() {
        return failures;
    }

    @Override
    Response answer(Request request) throws Refusal {
        if (request.getCode() != Code.GET) {
            throw Refusal.methodNotAllowed(request.getCode() + " is not allowed on /");
        }
        Response response = new Response(ResponseCode.CONTENT);
        response.getOptions().setContentFormat(MediaTypeRegistry.TEXT_PLAIN);
        response.setPayload(INDEX.getBytes(StandardCharsets.UTF_8));
        return response;
    }
}
