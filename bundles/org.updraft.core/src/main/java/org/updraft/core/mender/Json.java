package org.updraft.core.mender;

import java.util.Map;

import org.updraft.core.json.JsonReader;

/** Mender's metadata files read by the library's {@link JsonReader}, a bad one refused {@code bad-header}. */
final class Json {

    private Json() {
    }

    /**
     * @param bytes UTF-8 JSON text; the caller bounds its size
     * @param file the file's name, for messages
     * @throws MenderException {@code bad-header} when it is not one JSON value
     */
    static Object parse(byte[] bytes, String file) throws MenderException {
        try {
            return JsonReader.parse(bytes);
        } catch (IllegalArgumentException e) {
            throw new MenderException("bad-header", file + " is not valid JSON (" + e.getMessage() + ")");
        }
    }

    /** The value as an object, or a refusal naming what it should have been. */
    static Map<String, Object> object(Object value, String what) throws MenderException {
        try {
            return JsonReader.object(value, what);
        } catch (IllegalArgumentException e) {
            throw new MenderException("bad-header", e.getMessage());
        }
    }
}
