package org.updraft.core.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.cbor.Cbor;

class LedgerEventCodecTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void leafBytesAreTheDocumentedDeterministicMap() {
        LedgerEvent event = new LedgerEvent("t", Instant.ofEpochMilli(1000), "a", new byte[] {1}, null);
        // Written out by hand from RFC 8949 §4.2.1: keys sorted by their encoded bytes, shortest heads.
        String expected = "a4" + "6474696d65" + "1903e8" // "time": 1000
                + "6474797065" + "6174" // "type": "t"
                + "656163746f72" + "6161" // "actor": "a"
                + "677061796c6f6164" + "4101"; // "payload": h'01'
        assertEquals(expected, HEX.formatHex(LedgerEventCodec.encode(event)));

        LedgerEvent signed = new LedgerEvent("t", Instant.ofEpochMilli(1000), "a", new byte[] {1}, new byte[] {2});
        assertEquals("a5" + "63736967" + "4102" + expected.substring(2),
                HEX.formatHex(LedgerEventCodec.encode(signed)));
        assertArrayEquals(MerkleHash.leafHash(LedgerEventCodec.encode(signed)), LedgerEventCodec.leafHash(signed));
    }

    @Test
    void roundTrips() throws Exception {
        LedgerEvent unsigned = new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.parse("2026-03-01T10:15:30.123Z"),
                "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", Cbor.encode(Map.of("k", 1L)), null);
        LedgerEvent back = LedgerEventCodec.decode(LedgerEventCodec.encode(unsigned));
        assertEquals(unsigned, back);
        assertNull(back.signature());
        LedgerEvent signed = new LedgerEvent(EventTypes.KEY_REVOKED, Instant.ofEpochMilli(0), "did:key:zX",
                new byte[0], new byte[64]);
        assertEquals(signed, LedgerEventCodec.decode(LedgerEventCodec.encode(signed)));
    }

    @Test
    void strictDecodeRefusesEveryOtherEncoding() {
        String base = "6474696d65" + "1903e8" + "6474797065" + "6174" + "656163746f72" + "6161";
        String payload = "677061796c6f6164" + "4101";
        assertRejected("a4" + base + payload, null);
        // missing payload
        assertRejected("a3" + base, "field 'payload' is missing");
        // unknown field "zz"
        assertRejected("a5" + "627a7a" + "00" + base + payload, "unknown field 'zz'");
        // time not in its shortest form (1000 as a 4-byte integer)
        assertRejected("a4" + "6474696d65" + "1a000003e8" + "6474797065" + "6174" + "656163746f72" + "6161" + payload,
                "shortest form");
        // keys out of order: "type" before "time"
        assertRejected("a4" + "6474797065" + "6174" + "6474696d65" + "1903e8" + "656163746f72" + "6161" + payload,
                "order");
        // negative time
        assertRejected("a4" + "6474696d65" + "3903e7" + "6474797065" + "6174" + "656163746f72" + "6161" + payload,
                "must not be negative");
        // payload as text
        assertRejected("a4" + base + "677061796c6f6164" + "6101", "'payload' must be a byte string");
        // blank type
        assertRejected("a4" + "6474696d65" + "1903e8" + "6474797065" + "6120" + "656163746f72" + "6161" + payload,
                "blank");
        // trailing byte
        assertRejected("a4" + base + payload + "00", "trailing");
        // not a map
        assertRejected("80", "must be a CBOR map");
    }

    private static void assertRejected(String hex, String messagePart) {
        byte[] bytes = HEX.parseHex(hex);
        if (messagePart == null) {
            assertTrue(() -> {
                try {
                    LedgerEventCodec.decode(bytes);
                    return true;
                } catch (InvalidEventException e) {
                    return false;
                }
            }, "the valid base encoding must decode");
            return;
        }
        InvalidEventException e = assertThrows(InvalidEventException.class, () -> LedgerEventCodec.decode(bytes), hex);
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    @Test
    void refusesWhatTheFormatCannotHold() {
        LedgerEvent old = new LedgerEvent("t", Instant.parse("1969-12-31T23:59:59Z"), "a", new byte[0], null);
        assertThrows(IllegalArgumentException.class, () -> LedgerEventCodec.encode(old));
        LedgerEvent huge = new LedgerEvent("t", Instant.EPOCH, "a", new byte[LedgerEventCodec.MAX_EVENT_BYTES], null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LedgerEventCodec.encode(huge));
        assertTrue(e.getMessage().contains("more than the"), e.getMessage());
    }
}
