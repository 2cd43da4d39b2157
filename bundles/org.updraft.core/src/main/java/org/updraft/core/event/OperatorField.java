package org.updraft.core.event;

import java.util.Map;

import org.updraft.core.cbor.Cbor;

/**
 * The optional {@code by} field of the trust and release events: the operator who made the change, present only
 * when one is named, so that a change on no operator's behalf encodes as it did before operators were recorded.
 */
final class OperatorField {

    private OperatorField() {
    }

    /** {@code map} encoded, with {@code by} added when it names an operator. */
    static byte[] encodeWith(Map<Object, Object> map, String by) {
        if (by != null && !by.isBlank()) {
            map.put("by", by);
        }
        return Cbor.encode(map);
    }
}
