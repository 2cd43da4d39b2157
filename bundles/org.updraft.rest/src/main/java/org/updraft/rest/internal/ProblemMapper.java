package org.updraft.rest.internal;

import javax.ws.rs.WebApplicationException;
import javax.ws.rs.core.Response;
import javax.ws.rs.ext.ExceptionMapper;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.trust.TrustException;
import org.updraft.core.log.InvalidCheckpointException;
import org.updraft.core.log.InvalidProofException;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Every failure as an RFC 9457 problem with the reason code the shell shows. A refusal of the platform's services
 * keeps its code; CXF's own refusals (no such path, wrong method or media type) keep their status. Anything else is a
 * bug: logged with its stack trace, answered 500 without details.
 */
final class ProblemMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = LoggerFactory.getLogger(ProblemMapper.class);

    @Override
    public Response toResponse(Throwable e) {
        return problem(e).response();
    }

    static ApiProblem problem(Throwable e) {
        if (e instanceof ApiProblem p) {
            return p;
        }
        if (e instanceof RolloutException r) {
            return new ApiProblem(status(r.code()), r.code(), r.getMessage());
        }
        if (e instanceof ReleaseException r) {
            return new ApiProblem(status(r.reason()), r.reason(), r.getMessage());
        }
        if (e instanceof RegistryException r) {
            return new ApiProblem(status(r.code()), r.code(), r.getMessage());
        }
        if (e instanceof TrustException t) {
            return new ApiProblem(422, "trust-refused", t.getMessage());
        }
        if (e instanceof LedgerException l) {
            return new ApiProblem(503, "ledger-failed", l.getMessage());
        }
        if (e instanceof InvalidProofException || e instanceof InvalidCheckpointException) {
            LOG.warn("REST API: the ledger's own proof does not verify: {}", e.getMessage());
            return new ApiProblem(500, "proof-invalid", e.getMessage());
        }
        if (e instanceof JsonProcessingException j) {
            return ApiProblem.badRequest("malformed-json", j.getOriginalMessage());
        }
        if (e instanceof IllegalArgumentException i) {
            return ApiProblem.badRequest("invalid", i.getMessage());
        }
        if (e instanceof WebApplicationException w) {
            int status = w.getResponse() == null ? 500 : w.getResponse().getStatus();
            if (status >= 500) {
                LOG.warn("REST API request failed", e);
            }
            return new ApiProblem(status, status == 404 ? "not-found" : "http-" + status,
                    Response.Status.fromStatusCode(status) == null ? "HTTP " + status
                            : Response.Status.fromStatusCode(status).getReasonPhrase());
        }
        LOG.error("REST API request failed", e);
        return new ApiProblem(500, "internal", "internal error; the platform's log has the details");
    }

    /** The HTTP status of a refusal's code: the caller's fault (4xx) unless a backend failed or is missing (503). */
    static int status(String code) {
        if (code == null) {
            return 500;
        }
        if (code.startsWith("unknown-")) {
            return 404;
        }
        return switch (code) {
        case "exists", "conflict", "publish-conflict", "already-published", "bad-state" -> 409;
        case "unavailable", "ledger-failed", "store-failed", "registry-failed", "trust-unavailable", "no-store",
                "profile-failed", "delta-failed" -> 503;
        case "invalid" -> 400;
        default -> 422;
        };
    }
}
