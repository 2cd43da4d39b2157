package org.updraft.core.log;

import java.time.Instant;
import java.util.List;

import org.updraft.core.cbor.CborException;

/**
 * Reading back the CBOR values a {@link SnapshotView} wrote: each value checked for its type, so that a state of
 * the wrong shape fails with a {@link CborException} (and the view replays) instead of a cast error later.
 */
public final class SnapshotValues {

    private SnapshotValues() {
    }

    /** An instant to the nanosecond, as {@code [seconds, nanos]}. */
    public static List<Object> instant(Instant t) {
        return List.of(t.getEpochSecond(), (long) t.getNano());
    }

    public static Instant instant(Object value) throws CborException {
        List<?> parts = list(value, 2);
        long nanos = integer(parts.get(1));
        if (nanos < 0 || nanos > 999_999_999) {
            throw new CborException("view state: nanoseconds out of range");
        }
        return Instant.ofEpochSecond(integer(parts.get(0)), nanos);
    }

    /** A list of exactly {@code size} elements; -1: any size. */
    public static List<?> list(Object value, int size) throws CborException {
        if (!(value instanceof List<?> l) || (size >= 0 && l.size() != size)) {
            throw new CborException("view state: expected a list" + (size >= 0 ? " of " + size : ""));
        }
        return l;
    }

    public static long integer(Object value) throws CborException {
        if (!(value instanceof Long n)) {
            throw new CborException("view state: expected an integer");
        }
        return n;
    }

    public static int smallInteger(Object value) throws CborException {
        long n = integer(value);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw new CborException("view state: integer out of range");
        }
        return (int) n;
    }

    public static String text(Object value) throws CborException {
        if (!(value instanceof String s)) {
            throw new CborException("view state: expected text");
        }
        return s;
    }

    /** Text or null. */
    public static String optionalText(Object value) throws CborException {
        return value == null ? null : text(value);
    }

    public static byte[] bytes(Object value) throws CborException {
        if (!(value instanceof byte[] b)) {
            throw new CborException("view state: expected bytes");
        }
        return b;
    }

    public static boolean flag(Object value) throws CborException {
        if (!(value instanceof Boolean b)) {
            throw new CborException("view state: expected a boolean");
        }
        return b;
    }
}
