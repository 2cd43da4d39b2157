package org.updraft.transport.mqtt.internal;

import org.updraft.api.update.UpdateException;

/**
 * A request the device API refuses: answered with its {@link #code()} in the User Property {@code error} and a
 * one-line diagnostic as the payload, on the request's Response Topic (or dropped with a warning when it has none).
 * The codes are the update service's own ({@link UpdateException#code()}) and a few of the transport's.
 */
final class Refusal extends Exception {

    private static final long serialVersionUID = 1L;

    private final String code;
    private final long retryAfter;

    private Refusal(String code, String diagnostic, long retryAfter) {
        super(oneLine(diagnostic), null, false, false);
        this.code = code;
        this.retryAfter = retryAfter;
    }

    /** Undecodable CBOR, a missing or wrong field, no Response Topic where one is needed, an empty payload. */
    static Refusal malformed(String diagnostic) {
        return new Refusal("malformed", diagnostic, -1);
    }

    static Refusal tooLarge(String diagnostic) {
        return new Refusal("too-large", diagnostic, -1);
    }

    /** No published release has the image. */
    static Refusal notFound(String diagnostic) {
        return new Refusal("not-found", diagnostic, -1);
    }

    /** A block that starts at or past the end of the image. */
    static Refusal outOfRange(String diagnostic) {
        return new Refusal("out-of-range", diagnostic, -1);
    }

    /** The payload speaks of another device than the topic names. */
    static Refusal wrongDevice(String diagnostic) {
        return new Refusal("wrong-device", diagnostic, -1);
    }

    static Refusal forbidden(String diagnostic) {
        return new Refusal("forbidden", diagnostic, -1);
    }

    static Refusal unavailable(String diagnostic, long retryAfter) {
        return new Refusal("unavailable", diagnostic, retryAfter);
    }

    static Refusal internal(String diagnostic) {
        return new Refusal("internal", diagnostic, -1);
    }

    /** The update service's refusal, with its own code. */
    static Refusal of(UpdateException e, long retryAfter) {
        String code = e.code() == null || e.code().isBlank() ? "internal" : e.code();
        String message = e.getMessage() == null ? code : e.getMessage();
        return new Refusal(code, message, "unavailable".equals(code) ? retryAfter : -1);
    }

    String code() {
        return code;
    }

    /** Seconds the device should wait before asking again, or -1. */
    long retryAfter() {
        return retryAfter;
    }

    private static String oneLine(String text) {
        String line = text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ").strip();
        return line.length() <= 200 ? line : line.substring(0, 197) + "...";
    }
}
