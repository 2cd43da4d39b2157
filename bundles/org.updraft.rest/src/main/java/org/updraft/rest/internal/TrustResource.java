package org.updraft.rest.internal;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
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
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;
import javax.ws.rs.core.SecurityContext;

import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustedKey;

import com.fasterxml.jackson.databind.JsonNode;

/** Manufacturer keys as {@code updraft:trust-*} manage them; changes are for admins and are ledger events. */
@Path("trust")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class TrustResource {

    private final Platform platform;
    private final Supplier<Limits> limits;

    TrustResource(Platform platform, Supplier<Limits> limits) {
        this.platform = platform;
        this.limits = limits;
    }

    @GET
    @Allowed(Role.VIEWER)
    public Response list(@Context Request request) throws TrustException {
        List<Object> keys = new ArrayList<>();
        for (TrustedKey k : platform.trust().list()) {
            keys.add(Views.key(k));
        }
        return Json.ok(request, Map.of("keys", keys));
    }

    /** Body: {@code did}, {@code vendor}, optionally {@code classes}. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Allowed(Role.ADMIN)
    public Response add(@Context SecurityContext security, InputStream body) throws TrustException {
        JsonNode json = Json.object(body, limits.get().maxRequestBytes());
        TrustedKey key = platform.trust().register(did(Fields.text(json, "did", true)),
                Fields.text(json, "vendor", true), Fields.strings(json, "classes"), Fields.caller(security).actor());
        return Response.created(URI.create("trust/" + URLEncoder.encode(key.did(), StandardCharsets.UTF_8)))
                .type(MediaType.APPLICATION_JSON_TYPE).entity(Json.bytes(Views.key(key))).build();
    }

    /** Body: {@code successor}, optionally {@code proof} (base64, from {@code bin/updraft rotate-proof}). */
    @POST
    @Path("{did}/rotate")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allowed(Role.ADMIN)
    public Response rotate(@Context SecurityContext security, @PathParam("did") String did, InputStream body)
            throws TrustException {
        JsonNode json = Json.object(body, limits.get().maxRequestBytes());
        String proof = Fields.text(json, "proof", false);
        byte[] signature = null;
        if (proof != null) {
            try {
                signature = Base64.getDecoder().decode(proof.strip());
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest("invalid", "field 'proof' must be the base64 rotation proof");
            }
        }
        return Json.status(200, Views.key(platform.trust().rotate(did(did),
                did(Fields.text(json, "successor", true)), signature, Fields.caller(security).actor())));
    }

    /** Optional body {@code {"reason": "..."}}. */
    @POST
    @Path("{did}/revoke")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allowed(Role.ADMIN)
    public Response revoke(@Context SecurityContext security, @PathParam("did") String did, InputStream body)
            throws TrustException {
        JsonNode json = Json.object(body, limits.get().maxRequestBytes());
        return Json.status(200, Views.key(platform.trust().revoke(did(did), Fields.text(json, "reason", false),
                Fields.caller(security).actor())));
    }

    private static String did(String did) {
        if (!did.startsWith("did:key:")) {
            throw ApiProblem.badRequest("invalid", "a key is named by its did:key: " + did);
        }
        return did;
    }
}
