package org.updraft.rest.internal;

import java.util.LinkedHashMap;
import java.util.Map;

import javax.ws.rs.WebApplicationException;
import javax.ws.rs.core.Response;

/**
 * An RFC 9457 problem: the API's one way of saying no. {@code code} is the reason code the shell shows for the same
 * refusal ({@code unknown-rollout}, {@code digest-mismatch}, ...), also in {@code type} as {@code urn:updraft:problem:CODE}.
 */
final class ApiProblem extends WebApplicationException {

    static final String MEDIA_TYPE = "application/problem+json";
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String detail;

    ApiProblem(int status, String code, String detail) {
        super(detail, null, Response.status(status).build());
        this.status = status;
        this.code = code;
        this.detail = detail;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    String detail() {
        return detail;
    }

    static ApiProblem badRequest(String code, String detail) {
        return new ApiProblem(400, code, detail);
    }

    static ApiProblem notFound(String code, String detail) {
        return new ApiProblem(404, code, detail);
    }

    /** The problem document. */
    Map<String, Object> body() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "urn:updraft:problem:" + code);
        m.put("title", title(status));
        m.put("status", status);
        m.put("detail", detail);
        m.put("code", code);
        return m;
    }

    /** The problem as the response to send. */
    Response response() {
        Response.ResponseBuilder r = Response.status(status).type(MEDIA_TYPE).entity(Json.bytes(body()));
        if (status == 401) {
            r.header("WWW-Authenticate", "Basic realm=\"updraft\", charset=\"UTF-8\"");
            r.header("WWW-Authenticate", "Bearer realm=\"updraft\"");
        }
        if (status == 429) {
            r.header("Retry-After", "1");
        }
        return r.build();
    }

    private static String title(int status) {
        return switch (status) {
        case 400 -> "Bad Request";
        case 401 -> "Unauthorized";
        case 403 -> "Forbidden";
        case 404 -> "Not Found";
        case 405 -> "Method Not Allowed";
        case 406 -> "Not Acceptable";
        case 409 -> "Conflict";
        case 413 -> "Content Too Large";
        case 415 -> "Unsupported Media Type";
        case 422 -> "Unprocessable Content";
        case 429 -> "Too Many Requests";
        case 503 -> "Service Unavailable";
        default -> Response.Status.fromStatusCode(status) == null ? "Error"
                : Response.Status.fromStatusCode(status).getReasonPhrase();
        };
    }
}
