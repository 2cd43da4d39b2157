package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsTheShapesTheRpcApiAnswersWith() {
        Map<String, Object> add = Json.object("{\"Name\":\"firmware\",\"Hash\":\"Qm\\u0041b\",\"Size\":\"262158\"}");
        assertEquals("QmAb", add.get("Hash"));
        assertEquals("262158", add.get("Size"));

        Map<String, Object> pins = Json.object(" {\"Keys\": {\"bafy1\": {\"Type\": \"recursive\"}}, \"n\": [1, -2.5e3, true, null]} ");
        assertEquals(Map.of("bafy1", Map.of("Type", "recursive")), pins.get("Keys"));
        assertEquals(java.util.Arrays.asList(1L, -2500.0, true, null), pins.get("n"));

        List<Map<String, Object>> lines = Json.lines("{\"Ref\":\"a\"}\n{\"Ref\":\"b\"}\n");
        assertEquals(2, lines.size());
        assertEquals("b", lines.get(1).get("Ref"));
    }

    @Test
    void badJsonIsAOneLineError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.object("{\"a\": tru}"));
        assertTrue(e.getMessage().startsWith("bad JSON at character"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.object("[1]"));
        assertThrows(IllegalArgumentException.class, () -> Json.object("{\"a\":1} x"));
        assertThrows(IllegalArgumentException.class, () -> Json.object("{\"a\":\"unterminated"));
    }
}
