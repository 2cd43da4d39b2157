package org.updraft.transport.coap.internal;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.updraft.api.device.Device;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;

/**
 * {@code POST /enroll}: a device registers itself with an enrollment signed by its own key; 2.01 with the
 * device's check path as Location-Path. Refused with 4.03 before anything is parsed when auto-registration is
 * off, so that an open port costs no signature checks.
 */
final class EnrollResource extends DeviceApiResource {

    private final UpdateService updates;
    private final Limits limits;

    EnrollResource(UpdateService updates, Limits limits) {
        super("enroll");
        this.updates = updates;
        this.limits = limits;
    }

    @Override
    Response answer(Request request) throws Refusal {
        byte[] enrollment = ReportResource.payload(request, "enrollment", limits);
        if (!limits.autoRegister()) {
            throw Refusal.forbidden("this platform does not register devices on request (auto.register=false); "
                    + "an operator registers them");
        }
        Device device;
        try {
            device = updates.enroll(enrollment);
        } catch (UpdateException e) {
            throw Refusal.of(e, limits.unavailableMaxAge());
        }
        Response response = new Response(ResponseCode.CREATED);
        response.getOptions().setLocationPath("check/" + device.id());
        return response;
    }
}
