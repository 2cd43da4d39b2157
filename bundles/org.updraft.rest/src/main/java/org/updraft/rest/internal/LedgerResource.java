package org.updraft.rest.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.log.InvalidCheckpointException;
import org.updraft.core.log.InvalidProofException;
import org.updraft.core.log.LedgerAudit;

/** The ledger as {@code updraft:ledger-tail}, {@code ledger-proof} and {@code ledger-verify} see it. */
@Path("ledger")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class LedgerResource {

    private final Platform platform;
    private final Supplier<Limits> limits;

    LedgerResource(Platform platform, Supplier<Limits> limits) {
        this.platform = platform;
        this.limits = limits;
    }

    /** The latest {@code limit} events (20), or from {@code from} on. */
    @GET
    @Path("events")
    @Allowed(Role.VIEWER)
    public Response tail(@Context Request request, @QueryParam("from") Long from, @QueryParam("limit") Integer limit)
            throws LedgerException {
        int n = Fields.limit(limit, 20, limits.get().maxPage());
        Ledger log = platform.ledger();
        long size = log.size();
        long start = from == null ? Math.max(0, size - n) : from;
        if (start < 0) {
            throw ApiProblem.badRequest("invalid", "from must not be negative: " + start);
        }
        List<Object> events = new ArrayList<>();
        for (LedgerEntry e : start >= size ? List.<LedgerEntry>of() : log.read(start, n)) {
            events.add(Views.entry(e));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("size", size);
        body.put("events", events);
        return Json.ok(request, body);
    }

    @GET
    @Path("events/{index}/proof")
    @Allowed(Role.VIEWER)
    public Response proof(@Context Request request, @PathParam("index") long index)
            throws LedgerException, InvalidProofException, InvalidCheckpointException {
        return Json.ok(request, ReleasesResource.proof(platform.ledger(), index));
    }

    /** The signed checkpoints the log issued, from tree size {@code from} (0) on, and the latest. */
    @GET
    @Path("checkpoints")
    @Allowed(Role.VIEWER)
    public Response checkpoints(@Context Request request, @QueryParam("from") Long from,
            @QueryParam("limit") Integer limit) throws LedgerException {
        int n = Fields.limit(limit, 100, limits.get().maxPage());
        Ledger log = platform.ledger();
        List<Object> issued = new ArrayList<>();
        for (Checkpoint c : log.checkpoints(from == null ? 0 : Math.max(0, from), n)) {
            issued.add(Views.checkpoint(c));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("latest", Views.checkpoint(log.checkpoint()));
        body.put("logKey", log.logKey());
        body.put("checkpoints", issued);
        return Json.ok(request, body);
    }

    /**
     * Recomputes the whole tree and checks every checkpoint issued, as {@code updraft:ledger-verify}: 200 with
     * {@code consistent: true}, or 409 {@code ledger-inconsistent} naming the first inconsistency.
     */
    @GET
    @Path("verify")
    @Allowed(Role.VIEWER)
    public Response verify() throws LedgerException {
        Ledger log = platform.ledger();
        LedgerAudit.Result result = LedgerAudit.audit(log, null);
        if (!result.consistent()) {
            throw new ApiProblem(409, "ledger-inconsistent", result.firstInconsistency());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("consistent", true);
        body.put("events", result.events());
        body.put("checkpoints", result.checkpoints());
        body.put("rootHash", Json.hex(result.rootHash()));
        body.put("logKey", log.logKey());
        return Json.status(200, body);
    }
}
