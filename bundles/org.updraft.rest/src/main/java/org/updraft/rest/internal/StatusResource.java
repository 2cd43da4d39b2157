package org.updraft.rest.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;

import org.updraft.api.backend.BackendChoice;
import org.updraft.api.backend.BackendChoices;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.transport.TransportStatus;

/**
 * What {@code updraft:status} and {@code updraft:store-stat} show, as JSON. A backend that is down is a part of the
 * answer ({@code running: false} with why), not a failure of it.
 */
@Path("")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class StatusResource {

    private final Platform platform;

    StatusResource(Platform platform) {
        this.platform = platform;
    }

    @GET
    @Path("status")
    @Allowed(Role.VIEWER)
    public Response status(@Context Request request) {
        Map<String, Object> body = new LinkedHashMap<>();
        BackendChoices choices = platform.backends;
        List<Object> backends = new ArrayList<>();
        if (choices != null) {
            for (BackendChoice c : choices.choices()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("capability", c.capability());
                m.put("kind", c.kind());
                m.put("running", c.running());
                m.put("feature", c.feature());
                m.put("detail", c.detail());
                backends.add(m);
            }
        }
        body.put("backends", backends);
        body.put("ledger", ledger(platform.ledger));
        body.put("registry", registry(platform.registry));
        ReleaseService releases = platform.releases;
        body.put("releases", releases == null ? null : releases.list().size());
        RolloutService rollouts = platform.rollouts;
        if (rollouts != null) {
            Map<String, Integer> states = new TreeMap<>();
            for (Rollout r : rollouts.list()) {
                states.merge(r.state().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
            }
            body.put("rollouts", states);
        } else {
            body.put("rollouts", null);
        }
        body.put("stores", stores());
        List<Object> transports = new ArrayList<>();
        for (TransportStatus t : platform.transports) {
            transports.add(Map.of("kind", t.kind(), "status", t.status()));
        }
        body.put("transports", transports);
        return Json.ok(request, body);
    }

    /**
     * Who the request came from and with which role: what a client (the web console) shows, and which actions it
     * offers. The API decides each call by the role again, whatever a client offers.
     */
    @GET
    @Path("caller")
    @Allowed(Role.VIEWER)
    public Response caller(@Context SecurityContext security) {
        Caller caller = (Caller) security.getUserPrincipal();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", caller.name());
        body.put("role", caller.role().id());
        body.put("token", caller.token());
        body.put("actor", caller.actor());
        return Json.status(200, body);
    }

    @GET
    @Path("store")
    @Allowed(Role.VIEWER)
    public Response store(@Context Request request) {
        Map<String, Object> body = new LinkedHashMap<>();
        FirmwareStore serving = platform.servingStore;
        body.put("serving", serving == null ? null : serving.status().kind());
        body.put("stores", stores());
        return Json.ok(request, body);
    }

    private List<Object> stores() {
        List<Object> stores = new ArrayList<>();
        for (FirmwareStore s : platform.stores) {
            StoreStatus st = s.status();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", st.kind());
            m.put("available", st.available());
            m.put("detail", st.detail());
            m.put("objects", st.objects());
            m.put("bytes", st.bytes());
            stores.add(m);
        }
        return stores;
    }

    private static Map<String, Object> ledger(Ledger ledger) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", ledger != null);
        if (ledger != null) {
            try {
                m.put("size", ledger.size());
                m.put("logKey", ledger.logKey());
            } catch (Exception e) {
                m.put("running", false);
                m.put("detail", e.getMessage());
            }
        }
        return m;
    }

    private static Map<String, Object> registry(DeviceRegistry registry) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", registry != null);
        if (registry != null) {
            m.put("detail", registry.status());
            try {
                m.put("devices", registry.count(DeviceFilter.ALL));
            } catch (Exception e) {
                m.put("running", false);
            }
        }
        return m;
    }
}
