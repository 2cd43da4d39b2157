package org.updraft.transport.coap.internal;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.updraft.api.device.Device;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.UpdateFormatException;

/**
 * {@code POST /enroll}: a device registers itself with an enrollment signed by its own key; 2.01 with the
 * device's check path as Location-Path. Refused with 4.03 before anything is parsed when auto-registration is
 * off, so that an open port costs no signature checks.
 */
final class EnrollResource extends DeviceApiResource {

    private final UpdateService updates;
    private final Limits limits;
    private final PeerBinding binding;

    EnrollResource(UpdateService updates, Limits limits, PeerBinding binding) {
        super("enroll");
        this.updates = updates;
        this.limits = limits;
        this.binding = binding;
    }

    @Override
    Response answer(Request request) throws Refusal {
        byte[] enrollment = ReportResource.payload(request, "enrollment", limits);
        if (!limits.autoRegister()) {
            throw Refusal.forbidden("this platform does not register devices on request (auto.register=false); "
                    + "an operator registers them");
        }
        if (PeerBinding.peerKey(request) != null) {
            // over DTLS, a device enrolls only its own key: the one it proved in the handshake
            String key;
            try {
                key = Enrollments.parse(enrollment).publicKey();
            } catch (UpdateFormatException e) {
                throw Refusal.badRequest(e.getMessage()).countedAs("bad-payload");
            }
            binding.requireKey(request, key, "enrollment");
        }
        Device device;
        try {
            device = updates.enroll(enrollment);
        } catch (UpdateException e) {
            throw Refusal.of(e, limits.unavailableMaxAge());
        }
        binding.bindAccepted(request);
        Response response = new Response(ResponseCode.CREATED);
        response.getOptions().setLocationPath("check/" + device.id());
        return response;
    }
}
