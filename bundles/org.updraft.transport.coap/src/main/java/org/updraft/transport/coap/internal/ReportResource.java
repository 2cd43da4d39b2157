package org.updraft.transport.coap.internal;

import java.util.Map;

import org.eclipse.californium.core.coap.CoAP.Code;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.UpdateFormatException;

/** {@code POST /report}: a device's signed status report; 2.04 with {"index": ledger index, or -1 when resent}. */
final class ReportResource extends DeviceApiResource {

    private final UpdateService updates;
    private final Limits limits;
    private final PeerBinding binding;

    ReportResource(UpdateService updates, Limits limits, PeerBinding binding) {
        super("report");
        this.updates = updates;
        this.limits = limits;
        this.binding = binding;
    }

    @Override
    Response answer(Request request) throws Refusal {
        byte[] report = payload(request, "report", limits);
        if (PeerBinding.peerKey(request) != null) {
            // over DTLS, a device reports only for itself: the report's device must be the peer's
            String deviceId;
            try {
                deviceId = DeviceReports.parse(report).report().deviceId();
            } catch (UpdateFormatException e) {
                throw Refusal.badRequest(e.getMessage()).countedAs("bad-payload");
            }
            binding.requireDevice(request, deviceId);
        }
        ReportReceipt receipt;
        try {
            receipt = updates.report(report);
        } catch (UpdateException e) {
            throw Refusal.of(e, limits.unavailableMaxAge());
        }
        Response response = new Response(ResponseCode.CHANGED);
        response.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_CBOR);
        response.setPayload(Cbor.encode(Map.of("index", receipt.duplicate() ? -1L : receipt.ledgerIndex())));
        return response;
    }

    /**
     * The payload of a POST, refused when empty, larger than the limit, or said to be something else than a
     * COSE_Sign1 (a device may leave Content-Format out: the payload says what it is).
     */
    static byte[] payload(Request request, String what, Limits limits) throws Refusal {
        if (request.getCode() != Code.POST) {
            throw Refusal.methodNotAllowed(request.getCode() + " is not allowed on " + path(request)
                    + "; POST a signed " + what);
        }
        int format = request.getOptions().getContentFormat();
        if (format != MediaTypeRegistry.UNDEFINED && format != MediaTypeRegistry.APPLICATION_COSE_SIGN1
                && format != MediaTypeRegistry.APPLICATION_CBOR) {
            throw Refusal.unsupportedContentFormat("Content-Format " + format + " is not accepted on " + path(request)
                    + "; send the signed " + what + " as 18 (application/cose; cose-type=\"cose-sign1\"), as 60 "
                    + "(application/cbor) or without Content-Format");
        }
        int size = request.getPayloadSize();
        if (size == 0) {
            throw Refusal.badRequest("the " + what + " is empty; POST a signed " + what + " (COSE_Sign1)")
                    .countedAs("bad-payload");
        }
        if (size > limits.maxRequestBytes()) {
            throw Refusal.tooLarge("the " + what + " has " + size + " bytes, more than the "
                    + limits.maxRequestBytes() + " accepted");
        }
        return request.getPayload();
    }
}
