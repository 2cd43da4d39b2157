package org.updraft.rest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

import javax.ws.rs.core.EntityTag;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * JSON in and out. Responses are written here rather than by a JAX-RS provider, so that the bytes are known before
 * they are sent: their SHA-256 is the ETag that {@code If-None-Match} is compared with.
 */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** 200 with {@code value} as JSON and its ETag, or 304 when the request's If-None-Match names that ETag. */
    static Response ok(Request request, Object value) {
        byte[] body = bytes(value);
        EntityTag tag = new EntityTag(etag(body));
        Response.ResponseBuilder notModified = request == null ? null : request.evaluatePreconditions(tag);
        if (notModified != null) {
            return notModified.tag(tag).build();
        }
        return Response.ok(body, MediaType.APPLICATION_JSON_TYPE).tag(tag).build();
    }

    /** {@code status} with {@code value} as JSON, no ETag (answers to changes). */
    static Response status(int status, Object value) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(bytes(value)).build();
    }

    /**
     * A JSON object read from a request body of at most {@code maxBytes}: a body that is not one JSON object, or
     * larger, is refused before anything is done with it.
     */
    static JsonNode object(InputStream body, int maxBytes) {
        byte[] bytes;
        try {
            bytes = body == null ? new byte[0] : body.readNBytes(maxBytes + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (bytes.length > maxBytes) {
            throw new ApiProblem(413, "too-large", "the request body is larger than " + maxBytes + " bytes");
        }
        if (bytes.length == 0) {
            throw ApiProblem.badRequest("malformed-json", "the request needs a JSON object as its body");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw ApiProblem.badRequest("malformed-json", "the body is not JSON: " + oneLine(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw ApiProblem.badRequest("malformed-json", "the body must be a JSON object");
        }
        return node;
    }

    private static String oneLine(String text) {
        String s = text == null ? "" : text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
        int at = s.indexOf(" at [Source");
        return at > 0 ? s.substring(0, at) : s;
    }

    static String etag(byte[] body) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(body);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d).substring(0, 27);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        return bytes == null ? null : HexFormat.of().formatHex(bytes);
    }
}
