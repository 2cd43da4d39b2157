package org.updraft.rest.internal;

import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import javax.ws.rs.Consumes;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;

import org.updraft.api.device.DeviceFilter;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.TimeWindow;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rollouts as {@code updraft:rollout-*} steer them. Every step is a ledger event naming the caller
 * ({@code operator:NAME} or {@code token:NAME}).
 */
@Path("rollouts")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class RolloutsResource {

    private final Platform platform;
    private final Supplier<Limits> limits;

    RolloutsResource(Platform platform, Supplier<Limits> limits) {
        this.platform = platform;
        this.limits = limits;
    }

    @GET
    @Allowed(Role.VIEWER)
    public Response list(@Context Request request) {
        List<Object> rollouts = new ArrayList<>();
        platform.rollouts().list().forEach(r -> rollouts.add(Views.rollout(r)));
        return Json.ok(request, Map.of("rollouts", rollouts));
    }

    /**
     * A rollout in waves, a draft unless {@code "start": true}. Body: {@code release}, {@code waves} (each
     * {@code name}, {@code selector} as the shell writes it, {@code success}, {@code error}, {@code manual},
     * {@code window}, {@code cap}), optionally {@code region}, {@code tags}, {@code versions}.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Allowed(Role.OPERATOR)
    public Response create(@Context SecurityContext security, InputStream body) throws RolloutException {
        JsonNode json = Json.object(body, limits.get().maxRequestBytes());
        String release = Fields.text(json, "release", true);
        List<WaveSpec> waves = new ArrayList<>();
        for (JsonNode w : Fields.objects(json, "waves")) {
            String window = Fields.text(w, "window", false);
            waves.add(new WaveSpec(Fields.text(w, "name", true), WaveSelector.parse(Fields.text(w, "selector", true)),
                    Fields.decimal(w, "success", 90), Fields.decimal(w, "error", 10), !Fields.flag(w, "manual", false),
                    window == null ? null : TimeWindow.parse(window), (int) Fields.number(w, "cap", 0)));
        }
        DeviceFilter target = new DeviceFilter(null, null, null, Fields.strings(json, "tags"),
                Fields.text(json, "region", false), Fields.text(json, "versions", false));
        boolean start = Fields.flag(json, "start", false);
        String actor = Fields.caller(security).actor();
        RolloutService service = platform.rollouts();
        Rollout rollout = service.create(new RolloutSpec(release, target, waves), actor);
        if (start) {
            rollout = service.start(rollout.id(), actor);
        }
        return Response.created(URI.create("rollouts/" + rollout.id())).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Json.bytes(Views.rollout(rollout))).build();
    }

    @GET
    @Path("{id}")
    @Allowed(Role.VIEWER)
    public Response show(@Context Request request, @PathParam("id") String id) {
        return Json.ok(request, Views.rollout(platform.rollouts().find(id)
                .orElseThrow(() -> ApiProblem.notFound("unknown-rollout", "no rollout " + id))));
    }

    @GET
    @Path("{id}/progress")
    @Allowed(Role.VIEWER)
    public Response progress(@Context Request request, @PathParam("id") String id) throws RolloutException {
        return Json.ok(request, Views.progress(platform.rollouts().progress(id)));
    }

    @POST
    @Path("{id}/start")
    @Allowed(Role.OPERATOR)
    public Response start(@Context SecurityContext security, @PathParam("id") String id) throws RolloutException {
        return Json.status(200, Views.rollout(platform.rollouts().start(id, Fields.caller(security).actor())));
    }

    /** Optional body {@code {"reason": "..."}}, recorded with the pause. */
    @POST
    @Path("{id}/pause")
    @Allowed(Role.OPERATOR)
    public Response pause(@Context SecurityContext security, @Context HttpHeaders headers, @PathParam("id") String id,
            InputStream body) throws RolloutException {
        return Json.status(200, Views.rollout(platform.rollouts().pause(id, Fields.caller(security).actor(),
                reason(headers, body))));
    }

    @POST
    @Path("{id}/resume")
    @Allowed(Role.OPERATOR)
    public Response resume(@Context SecurityContext security, @PathParam("id") String id) throws RolloutException {
        return Json.status(200, Views.rollout(platform.rollouts().resume(id, Fields.caller(security).actor())));
    }

    @POST
    @Path("{id}/advance")
    @Allowed(Role.OPERATOR)
    public Response advance(@Context SecurityContext security, @PathParam("id") String id) throws RolloutException {
        return Json.status(200, Views.rollout(platform.rollouts().advance(id, Fields.caller(security).actor())));
    }

    /** Optional body {@code {"reason": "..."}}, recorded with the cancellation. */
    @POST
    @Path("{id}/cancel")
    @Allowed(Role.OPERATOR)
    public Response cancel(@Context SecurityContext security, @Context HttpHeaders headers, @PathParam("id") String id,
            InputStream body) throws RolloutException {
        return Json.status(200, Views.rollout(platform.rollouts().cancel(id, Fields.caller(security).actor(),
                reason(headers, body))));
    }

    /** The optional reason of a body that may be empty; a body that is there must be a JSON object. */
    private String reason(HttpHeaders headers, InputStream body) {
        if (headers.getLength() == 0) {
            return null;
        }
        java.io.PushbackInputStream in = new java.io.PushbackInputStream(body);
        try {
            int first = in.read();
            if (first < 0) {
                return null;
            }
            in.unread(first);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Fields.text(Json.object(in, limits.get().maxRequestBytes()), "reason", false);
    }
}
