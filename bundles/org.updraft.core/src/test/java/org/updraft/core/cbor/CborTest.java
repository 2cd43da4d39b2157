package org.updraft.core.cbor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CborTest {

    private static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    private static String encodeHex(Object value) {
        return HexFormat.of().formatHex(Cbor.encode(value));
    }

    @Test
    void encodesRfc8949AppendixAExamples() {
        assertEquals("00", encodeHex(0L));
        assertEquals("17", encodeHex(23L));
        assertEquals("1818", encodeHex(24L));
        assertEquals("1903e8", encodeHex(1000L));
        assertEquals("1a000f4240", encodeHex(1000000L));
        assertEquals("1b000000e8d4a51000", encodeHex(1000000000000L));
        assertEquals("20", encodeHex(-1L));
        assertEquals("3903e7", encodeHex(-1000L));
        assertEquals("3b7fffffffffffffff", encodeHex(Long.MIN_VALUE));
        assertEquals("40", encodeHex(new byte[0]));
        assertEquals("4401020304", encodeHex(hex("01020304")));
        assertEquals("6449455446", encodeHex("IETF"));
        assertEquals("62c3bc", encodeHex("\u00fc"));
        assertEquals("83010203", encodeHex(List.of(1L, 2L, 3L)));
        assertEquals("f4", encodeHex(false));
        assertEquals("f5", encodeHex(true));
        assertEquals("f6", encodeHex(null));
        assertEquals("d74401020304", encodeHex(new CborTag(23, hex("01020304"))));
    }

    @Test
    void sortsMapKeysByTheirEncodingWhateverTheInsertionOrder() {
        Map<Object, Object> map = new LinkedHashMap<>();
        map.put("aa", 1L);
        map.put(-1L, 2L);
        map.put("b", 3L);
        map.put(10L, 4L);
        // RFC 8949 §4.2.1: 10 (0x0a) < -1 (0x20) < "b" (0x6162) < "aa" (0x626161)
        assertEquals("a40a04200261620362616101", encodeHex(map));
    }

    @Test
    void roundTripsNestedValues() throws CborException {
        Map<Object, Object> map = new LinkedHashMap<>();
        map.put("list", List.of(1L, "two", hex("03"), List.of(), Map.of()));
        map.put("n", -5L);
        map.put("t", true);
        byte[] encoded = Cbor.encode(map);
        Object decoded = Cbor.decode(encoded);
        assertArrayEquals(encoded, Cbor.encode(decoded));
    }

    @Test
    void rejectsEveryNonDeterministicEncoding() {
        assertRejected("1817", "not in its shortest form");
        assertRejected("190017", "not in its shortest form");
        assertRejected("1a0000ffff", "not in its shortest form");
        assertRejected("1b00000000ffffffff", "not in its shortest form");
        assertRejected("5f4101ff", "indefinite");
        assertRejected("9f01ff", "indefinite");
        assertRejected("a2616201616101", "out of deterministic order");
        assertRejected("a2616101616102", "out of deterministic order");
    }

    @Test
    void rejectsMalformedAndHostileInput() {
        assertRejected("", "ends unexpectedly");
        assertRejected("0001", "trailing bytes");
        assertRejected("5a7fffffff00", "claims");
        assertRejected("9b7fffffffffffffff", "claims");
        assertRejected("62c328", "not valid UTF-8");
        assertRejected("f97c00", "float");
        assertRejected("f7", "simple value");
        assertRejected("1bffffffffffffffff", "larger than 2^63-1");
        assertRejected("a1800100".substring(0, 6), "neither text nor an integer");
        assertRejected("8".repeat(1) + "1".repeat(1) + "81".repeat(20) + "00", "nested deeper");
    }

    private static void assertRejected(String hexBytes, String messagePart) {
        CborException e = assertThrows(CborException.class, () -> Cbor.decode(hex(hexBytes)), hexBytes);
        assertTrue(e.getMessage().contains(messagePart), () -> hexBytes + ": " + e.getMessage());
    }

    @Test
    void reportsMissingAndMistypedFieldsByName() throws CborException {
        CborMap map = CborMap.decode("manifest", Cbor.encode(Map.of("version", 3L)));
        CborException missing = assertThrows(CborException.class, () -> map.text("vendor-id"));
        assertEquals("manifest: field 'vendor-id' is missing", missing.getMessage());
        CborException mistyped = assertThrows(CborException.class, () -> map.text("version"));
        assertEquals("manifest: field 'version' must be a text string", mistyped.getMessage());
        CborException unknown = assertThrows(CborException.class, () -> map.onlyKeys(List.of("vendor-id")));
        assertEquals("manifest: unknown field 'version'", unknown.getMessage());
    }
}
