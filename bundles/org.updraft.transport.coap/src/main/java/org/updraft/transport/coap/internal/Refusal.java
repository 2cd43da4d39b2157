package org.updraft.transport.coap.internal;

import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.updraft.api.update.UpdateException;

/**
 * A request the device API answers with an error code and a one-line diagnostic payload (RFC 7252 §5.5.2).
 * Thrown by the resources' handlers and turned into the response in one place, {@link DeviceApiResource}.
 */
final class Refusal extends Exception {

    private static final long serialVersionUID = 1L;

    private final ResponseCode code;
    private final long maxAge;
    private final String kind;
    /** Whether {@link #kind} counts a DTLS peer refused for the identity it proved, rather than malformed input. */
    private final boolean peer;

    private Refusal(ResponseCode code, String diagnostic, long maxAge) {
        this(code, diagnostic, maxAge, null);
    }

    private Refusal(ResponseCode code, String diagnostic, long maxAge, String kind) {
        this(code, diagnostic, maxAge, kind, false);
    }

    private Refusal(ResponseCode code, String diagnostic, long maxAge, String kind, boolean peer) {
        super(oneLine(diagnostic), null, false, false);
        this.code = code;
        this.maxAge = maxAge;
        this.kind = kind;
        this.peer = peer;
    }

    /**
     * The same refusal, counted as malformed input of this kind (in the transport's status, and logged at most once
     * a minute per kind): a request no correct device sends, unlike an unknown device or a stale report.
     */
    Refusal countedAs(String malformedKind) {
        return new Refusal(code, getMessage(), maxAge, malformedKind);
    }

    /** The kind of malformed input, or null when the request was well formed and refused for what it asked. */
    String kind() {
        return kind;
    }

    /** True when {@link #kind} is a kind of peer refused for its DTLS identity (counted apart from malformed input). */
    boolean peer() {
        return peer;
    }

    /**
     * 4.03 for a DTLS peer whose raw public key is not the one the request needs (the registered key of the device
     * it names): counted by kind with the other refused peers.
     */
    static Refusal wrongPeer(String kind, String diagnostic) {
        return new Refusal(ResponseCode.FORBIDDEN, diagnostic, -1, kind, true);
    }

    static Refusal badRequest(String diagnostic) {
        return new Refusal(ResponseCode.BAD_REQUEST, diagnostic, -1);
    }

    static Refusal badOption(String diagnostic) {
        return new Refusal(ResponseCode.BAD_OPTION, diagnostic, -1);
    }

    static Refusal forbidden(String diagnostic) {
        return new Refusal(ResponseCode.FORBIDDEN, diagnostic, -1);
    }

    static Refusal notFound(String diagnostic) {
        return new Refusal(ResponseCode.NOT_FOUND, diagnostic, -1);
    }

    static Refusal methodNotAllowed(String diagnostic) {
        return new Refusal(ResponseCode.METHOD_NOT_ALLOWED, diagnostic, -1, "bad-method");
    }

    static Refusal tooLarge(String diagnostic) {
        return new Refusal(ResponseCode.REQUEST_ENTITY_TOO_LARGE, diagnostic, -1, "oversized-payload");
    }

    static Refusal unsupportedContentFormat(String diagnostic) {
        return new Refusal(ResponseCode.UNSUPPORTED_CONTENT_FORMAT, diagnostic, -1, "bad-content-format");
    }

    /** The device should try again after {@code retrySeconds}. */
    static Refusal unavailable(String diagnostic, long retrySeconds) {
        return new Refusal(ResponseCode.SERVICE_UNAVAILABLE, diagnostic, retrySeconds);
    }

    static Refusal internal(String diagnostic) {
        return new Refusal(ResponseCode.INTERNAL_SERVER_ERROR, diagnostic, -1);
    }

    /** The CoAP code for an {@link UpdateException}'s code, as the wire contract lists them. */
    static Refusal of(UpdateException e, long retrySeconds) {
        String code = e.code() == null ? "" : e.code();
        String message = e.getMessage() == null ? code : e.getMessage();
        switch (code) {
        case "malformed":
            return new Refusal(ResponseCode.BAD_REQUEST, message, -1, "bad-payload");
        case "bad-signature":
            return new Refusal(ResponseCode.FORBIDDEN, message, -1);
        case "unknown-device":
        case "bad-range":
            return new Refusal(ResponseCode.NOT_FOUND, message, -1);
        case "stale":
        case "wrong-device":
        case "exists":
            return new Refusal(ResponseCode.CONFLICT, message, -1);
        case "unavailable":
            return new Refusal(ResponseCode.SERVICE_UNAVAILABLE, message, retrySeconds);
        default:
            return new Refusal(ResponseCode.INTERNAL_SERVER_ERROR, "refused (" + code + "): " + message, -1);
        }
    }

    ResponseCode code() {
        return code;
    }

    /** Seconds for the Max-Age option, or -1 for none. */
    long maxAge() {
        return maxAge;
    }

    /** Diagnostics are one line of at most 200 characters: they travel in one datagram next to the header. */
    private static String oneLine(String text) {
        String line = text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ").strip();
        return line.length() <= 200 ? line : line.substring(0, 197) + "...";
    }
}
