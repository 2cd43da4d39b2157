package org.updraft.rest.internal;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The fleet, as {@code updraft:device-add}, {@code device-list}, {@code device-show} and {@code device-remove} see it:
 * paged by an opaque cursor (keyset paging in id order, stable while devices are added) with the same filters.
 */
@Path("devices")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class DevicesResource {

    private final Platform platform;
    private final Supplier<Limits> limits;

    DevicesResource(Platform platform, Supplier<Limits> limits) {
        this.platform = platform;
        this.limits = limits;
    }

    @GET
    @Allowed(Role.VIEWER)
    public Response list(@Context Request request, @QueryParam("vendor") String vendor,
            @QueryParam("class") String deviceClass, @QueryParam("profile") String profile,
            @QueryParam("region") String region, @QueryParam("tags") String tags,
            @QueryParam("versions") String versions, @QueryParam("cursor") String cursor,
            @QueryParam("limit") Integer limit) throws RegistryException {
        int n = Fields.limit(limit, 100, limits.get().maxPage());
        DeviceFilter filter = new DeviceFilter(blank(vendor), blank(deviceClass), blank(profile), Fields.tags(tags),
                blank(region), blank(versions));
        List<Device> page = platform.registry().list(filter, after(cursor), n);
        List<Object> devices = new ArrayList<>();
        page.forEach(d -> devices.add(Views.device(d)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("devices", devices);
        body.put("next", page.size() < n ? null : cursor(page.get(page.size() - 1).id()));
        return Json.ok(request, body);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Allowed(Role.OPERATOR)
    public Response add(InputStream body) throws RegistryException {
        JsonNode json = Json.object(body, limits.get().maxRequestBytes());
        String id = Fields.text(json, "id", true);
        Device added = platform.registry().register(device(id, json, null));
        return Response.created(URI.create("devices/" + id)).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Json.bytes(Views.device(added))).build();
    }

    @GET
    @Path("{id}")
    @Allowed(Role.VIEWER)
    public Response show(@Context Request request, @PathParam("id") String id) throws RegistryException {
        return Json.ok(request, Views.device(find(id)));
    }

    /**
     * Replaces what an operator says of a device (key, vendor, class, profile, region, tags); what the device reported
     * (state, version, sequence, last seen) stays. The registry has no update: the device is removed and registered
     * again, and registered back as it was if the new registration is refused.
     */
    @PUT
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Allowed(Role.OPERATOR)
    public Response replace(@PathParam("id") String id, InputStream body) throws RegistryException {
        JsonNode json = Json.object(body, limits.get().maxRequestBytes());
        String named = Fields.text(json, "id", false);
        if (named != null && !named.equals(id)) {
            throw ApiProblem.badRequest("invalid", "the body's id " + named + " is not the path's " + id);
        }
        DeviceRegistry registry = platform.registry();
        Device old = find(id);
        Device updated = device(id, json, old);
        if (!registry.remove(id)) {
            throw ApiProblem.notFound("unknown-device", "no device " + id);
        }
        try {
            return Json.status(200, Views.device(registry.register(updated)));
        } catch (RegistryException | RuntimeException e) {
            registry.register(old);
            throw e;
        }
    }

    @DELETE
    @Path("{id}")
    @Allowed(Role.OPERATOR)
    public Response remove(@PathParam("id") String id) throws RegistryException {
        if (!platform.registry().remove(id)) {
            throw ApiProblem.notFound("unknown-device", "no device " + id);
        }
        return Response.noContent().build();
    }

    /**
     * What the ledger says of one device, newest first: its enrollment, the offers made to it and its signed reports,
     * each report checked against the device's registered key ({@code verified}; {@code null} once the device is no
     * longer registered). The ledger has no index by device, so each call reads back from {@code before} (the ledger's
     * size) and stops after {@code limit} events found (50) or {@link #HISTORY_SCAN} events read; {@code next} is where
     * to go on from, {@code null} at the ledger's start. A device removed from the registry keeps its history.
     */
    @GET
    @Path("{id}/history")
    @Allowed(Role.VIEWER)
    public Response history(@Context Request request, @PathParam("id") String id, @QueryParam("before") Long before,
            @QueryParam("limit") Integer limit) throws RegistryException, LedgerException {
        int n = Fields.limit(limit, 50, limits.get().maxPage());
        Ledger log = platform.ledger();
        long size = log.size();
        long end = before == null ? size : Math.min(before, size);
        if (end < 0) {
            throw ApiProblem.badRequest("invalid", "before must not be negative: " + end);
        }
        String key = platform.registry().find(id).map(Device::publicKey).orElse(null);
        List<Object> events = new ArrayList<>();
        long scanned = 0;
        while (end > 0 && events.size() < n && scanned < HISTORY_SCAN) {
            int chunk = (int) Math.min(HISTORY_CHUNK, end);
            List<LedgerEntry> entries = log.read(end - chunk, chunk);
            for (int i = entries.size() - 1; i >= 0 && events.size() < n; i--) {
                Map<String, Object> about = DeviceHistory.about(entries.get(i), id, key);
                if (about != null) {
                    events.add(about);
                }
                end = entries.get(i).index();
            }
            scanned += entries.size();
            if (entries.isEmpty()) {
                break;
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("device", id);
        body.put("registered", key != null);
        body.put("size", size);
        body.put("events", events);
        body.put("next", end > 0 ? end : null);
        return Json.ok(request, body);
    }

    /** Ledger events one history call reads at most: a bound on its time, whatever the ledger's size. */
    static final int HISTORY_SCAN = 100_000;
    private static final int HISTORY_CHUNK = 512;

    private Device find(String id) throws RegistryException {
        return platform.registry().find(id)
                .orElseThrow(() -> ApiProblem.notFound("unknown-device", "no device " + id));
    }

    /** A device from the body's fields; for a replacement, what the device reported is kept from {@code old}. */
    private static Device device(String id, JsonNode json, Device old) {
        String key = Fields.text(json, "key", true);
        if (!key.startsWith("did:key:")) {
            throw ApiProblem.badRequest("invalid", "field 'key' must be the device's did:key");
        }
        String vendor = Fields.text(json, "vendor", true);
        String deviceClass = Fields.text(json, "class", true);
        if (old != null) {
            return new Device(id, key, vendor, deviceClass, Fields.text(json, "profile", false),
                    Fields.strings(json, "tags"), Fields.text(json, "region", false), old.installedVersion(),
                    old.installedSequence(), old.state(), old.lastSeen(), old.registered());
        }
        String version = Fields.text(json, "version", false);
        return new Device(id, key, vendor, deviceClass, Fields.text(json, "profile", false),
                Fields.strings(json, "tags"), Fields.text(json, "region", false), version == null ? "0.0.0" : version,
                Fields.number(json, "sequence", 0), DeviceState.IDLE, null, Instant.now());
    }

    static String cursor(String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastId.getBytes(StandardCharsets.UTF_8));
    }

    private static String after(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("invalid", "cursor is not one this API gave");
        }
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
