package org.updraft.core.cbor;

import java.util.List;
import java.util.Map;

/**
 * Typed, checked reading of a decoded CBOR map, so that every format reports a missing or mistyped field
 * the same way: {@code "manifest: field 'image-size' must be an unsigned integer"}.
 */
public final class CborMap {

    private final String what;
    private final Map<?, ?> map;

    private CborMap(String what, Map<?, ?> map) {
        this.what = what;
        this.map = map;
    }

    /**
     * Wraps a decoded item that must be a map.
     *
     * @param what names the structure in error messages, e.g. "manifest"
     */
    public static CborMap of(String what, Object decoded) throws CborException {
        if (!(decoded instanceof Map<?, ?> m)) {
            throw new CborException(what + " must be a CBOR map");
        }
        return new CborMap(what, m);
    }

    /** Decodes {@code bytes} and wraps the map. */
    public static CborMap decode(String what, byte[] bytes) throws CborException {
        Object decoded;
        try {
            decoded = Cbor.decode(bytes);
        } catch (CborException e) {
            throw new CborException(what + " is not deterministic CBOR: " + e.getMessage());
        }
        return of(what, decoded);
    }

    public boolean has(Object key) {
        return map.containsKey(key);
    }

    /** Fails when the map holds a key outside {@code allowed}: unknown fields are never silently ignored. */
    public CborMap onlyKeys(List<?> allowed) throws CborException {
        for (Object key : map.keySet()) {
            if (!allowed.contains(key)) {
                throw new CborException(what + ": unknown field " + label(key));
            }
        }
        return this;
    }

    public String text(Object key) throws CborException {
        return required(key, String.class, "a text string");
    }

    public String optionalText(Object key) throws CborException {
        return optional(key, String.class, "a text string");
    }

    public byte[] bytes(Object key) throws CborException {
        return required(key, byte[].class, "a byte string");
    }

    public byte[] optionalBytes(Object key) throws CborException {
        return optional(key, byte[].class, "a byte string");
    }

    /** An integer that must be zero or more. */
    public long unsigned(Object key) throws CborException {
        long n = integer(key);
        if (n < 0) {
            throw new CborException(what + ": field " + label(key) + " must not be negative");
        }
        return n;
    }

    public long integer(Object key) throws CborException {
        return required(key, Long.class, "an integer");
    }

    /** A flag: false when absent, else the field's boolean. */
    public boolean flag(Object key) throws CborException {
        return Boolean.TRUE.equals(optional(key, Boolean.class, "a boolean"));
    }

    public List<?> list(Object key) throws CborException {
        return required(key, List.class, "an array");
    }

    public CborMap map(Object key) throws CborException {
        Map<?, ?> m = required(key, Map.class, "a map");
        return new CborMap(what + "." + key, m);
    }

    private <T> T required(Object key, Class<T> type, String description) throws CborException {
        T value = optional(key, type, description);
        if (value == null) {
            throw new CborException(what + ": field " + label(key) + " is missing");
        }
        return value;
    }

    private <T> T optional(Object key, Class<T> type, String description) throws CborException {
        Object value = map.get(key);
        if (value == null) {
            return null;
        }
        if (!type.isInstance(value)) {
            throw new CborException(what + ": field " + label(key) + " must be " + description);
        }
        return type.cast(value);
    }

    private static String label(Object key) {
        return key instanceof String ? "'" + key + "'" : String.valueOf(key);
    }
}
