package org.updraft.rest.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.RegistryException;

/**
 * The fleet at a glance, as the web console's first view shows it: how many registered devices there are of each
 * class, each version of a class (versions of different classes are not comparable), each region and each state.
 * Read page by page from the registry, so memory holds one page, not the fleet.
 */
@Path("fleet")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class FleetResource {

    /** Devices read from the registry at a time. */
    static final int PAGE = 1000;

    private final Platform platform;

    FleetResource(Platform platform) {
        this.platform = platform;
    }

    @GET
    @Allowed(Role.VIEWER)
    public Response counts(@Context Request request) throws RegistryException {
        DeviceRegistry registry = platform.registry();
        Map<String, Long> classes = new TreeMap<>();
        Map<List<String>, Long> versions = new TreeMap<>((a, b) -> {
            int c = a.get(0).compareTo(b.get(0));
            return c != 0 ? c : a.get(1).compareTo(b.get(1));
        });
        Map<String, Long> regions = new TreeMap<>();
        Map<String, Long> states = new TreeMap<>();
        long total = 0;
        String after = null;
        while (true) {
            List<Device> page = registry.list(DeviceFilter.ALL, after, PAGE);
            for (Device d : page) {
                total++;
                classes.merge(d.deviceClass(), 1L, Long::sum);
                versions.merge(List.of(d.deviceClass(), d.installedVersion()), 1L, Long::sum);
                regions.merge(d.region() == null ? "" : d.region(), 1L, Long::sum);
                states.merge(d.state().wireName(), 1L, Long::sum);
            }
            if (page.size() < PAGE) {
                break;
            }
            after = page.get(page.size() - 1).id();
        }
        List<Object> byVersion = new ArrayList<>();
        versions.forEach((key, n) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", key.get(0));
            m.put("version", key.get(1));
            m.put("devices", n);
            byVersion.add(m);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("devices", total);
        body.put("classes", classes);
        body.put("versions", byVersion);
        // "" is the devices registered without a region
        body.put("regions", regions);
        body.put("states", states);
        return Json.ok(request, body);
    }
}
