package org.updraft.core.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonReaderTest {

    @Test
    void readsEveryKindOfValue() {
        Object value = JsonReader.parse(" {\"s\": \"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\", \"n\": [0, -12, 9223372036854775807,"
                + " 2.5, -1e3, 1E-2], \"b\": [true, false, null], \"o\": {}, \"a\": []}\r\n");
        Map<String, Object> o = JsonReader.object(value, "the text");
        assertEquals(List.of("s", "n", "b", "o", "a"), List.copyOf(o.keySet()), "members in their order");
        assertEquals("a\"b\\c/\né\uD83D\uDE00", o.get("s"));
        assertEquals(List.of(0L, -12L, Long.MAX_VALUE, 2.5, -1000.0, 0.01), o.get("n"));
        assertEquals(Arrays.asList(true, false, null), o.get("b"));
        assertEquals(Map.of(), o.get("o"));
        assertEquals(List.of(), o.get("a"));
        assertEquals("x", JsonReader.parse("\"x\""));
        assertEquals(3L, JsonReader.parse("3".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void refusesWhatIsNotOneJsonValueWithWhereAndWhy() {
        assertRefused("", "ends early");
        assertRefused("{\"a\":1} x", "text after the JSON value");
        assertRefused("{\"a\":1,\"a\":2}", "member \"a\" twice");
        assertRefused("{a:1}", "expected a member name");
        assertRefused("[1 2]", "expected ',' or ']'");
        assertRefused("{\"a\" 1}", "expected ':'");
        assertRefused("\"unterminated", "ends early");
        assertRefused("\"tab\there\"", "control character in a string");
        assertRefused("\"\\x\"", "bad escape \\x");
        assertRefused("\"\\u12g4\"", "bad \\u escape");
        assertRefused("tru", "unexpected 't'");
        assertRefused(".5", "unexpected '.'");
        assertRefused("+1", "unexpected '+'");
        for (String number : List.of("01", "1.", "-", "1e", "--1", "1.2.3", "1e+")) {
            assertRefused(number, "bad number '" + number + "'");
        }
        assertRefused("9223372036854775808", "beyond a long");
        assertRefused("[".repeat(JsonReader.MAX_DEPTH + 2) + "]".repeat(JsonReader.MAX_DEPTH + 2), "nested deeper than 32");
        JsonReader.parse("[".repeat(JsonReader.MAX_DEPTH + 1) + "]".repeat(JsonReader.MAX_DEPTH + 1));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonReader.parse(new byte[] {'"', (byte) 0xC3, '"'}));
        assertEquals("bad JSON: not UTF-8 text", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JsonReader.object(List.of(), "the answer"));
        assertEquals("the answer is not a JSON object", e.getMessage());
    }

    private static void assertRefused(String text, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(text), text);
        assertTrue(e.getMessage().startsWith("bad JSON at character ") && e.getMessage().endsWith(why),
                text + ": " + e.getMessage());
    }
}
