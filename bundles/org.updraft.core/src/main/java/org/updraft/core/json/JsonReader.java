package org.updraft.core.json;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads one JSON value (RFC 8259) into plain Java values: objects as {@link Map} (members in their order), arrays
 * as {@link List}, strings, integers as {@link Long}, other numbers as {@link Double}, {@link Boolean} and
 * {@code null}.
 *
 * <p>Stricter than the RFC requires where a reader may choose: a member name twice, nesting deeper than
 * {@link #MAX_DEPTH}, an integer beyond a {@code long} and bytes that are not UTF-8 are errors, since the texts it
 * reads come from outside (a node's answer, an uploaded artifact). The caller bounds the text's size. Errors are
 * {@link IllegalArgumentException}s whose one-line message says what is wrong and at which character.
 */
public final class JsonReader {

    /** The deepest nesting of objects and arrays read. */
    public static final int MAX_DEPTH = 32;

    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final int MAX_NUMBER_LENGTH = 64;

    private final String text;
    private int at;

    private JsonReader(String text) {
        this.text = text;
    }

    /**
     * The one JSON value that makes up the whole of {@code text}, white space around it allowed.
     *
     * @throws IllegalArgumentException when it is not
     */
    public static Object parse(String text) {
        JsonReader reader = new JsonReader(text);
        Object value = reader.value(0);
        reader.space();
        if (reader.at != text.length()) {
            throw reader.bad("text after the JSON value");
        }
        return value;
    }

    /**
     * The same from UTF-8 bytes.
     *
     * @throws IllegalArgumentException when they are not UTF-8 or not one JSON value
     */
    public static Object parse(byte[] utf8) {
        try {
            return parse(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("bad JSON: not UTF-8 text");
        }
    }

    /**
     * {@code value} as a JSON object.
     *
     * @param what what it is, for the message
     * @throws IllegalArgumentException when it is not an object
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object value, String what) {
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException(what + " is not a JSON object");
        }
        return (Map<String, Object>) value;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw bad("nested deeper than " + MAX_DEPTH);
        }
        space();
        char c = peek();
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw bad("unexpected '" + c + "'");
        }
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> map = new LinkedHashMap<>();
        at++;
        space();
        if (peek() == '}') {
            at++;
            return map;
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw bad("expected a member name");
            }
            String name = string();
            space();
            expect(':');
            if (map.containsKey(name)) {
                throw bad("member \"" + name + "\" twice");
            }
            map.put(name, value(depth + 1));
            space();
            char c = next();
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                throw bad("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        List<Object> list = new ArrayList<>();
        at++;
        space();
        if (peek() == ']') {
            at++;
            return list;
        }
        while (true) {
            list.add(value(depth + 1));
            space();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                throw bad("expected ',' or ']'");
            }
        }
    }

    private String string() {
        at++;
        StringBuilder s = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return s.toString();
            }
            if (c < 0x20) {
                throw bad("control character in a string");
            }
            if (c != '\\') {
                s.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> s.append(e);
                case 'b' -> s.append('\b');
                case 'f' -> s.append('\f');
                case 'n' -> s.append('\n');
                case 'r' -> s.append('\r');
                case 't' -> s.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length()) {
                        throw bad("ends early");
                    }
                    try {
                        s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    } catch (NumberFormatException x) {
                        throw bad("bad \\u escape");
                    }
                    at += 4;
                }
                default -> throw bad("bad escape \\" + e);
            }
        }
    }

    private Object number() {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        String n = text.substring(start, at);
        if (n.length() > MAX_NUMBER_LENGTH || !NUMBER.matcher(n).matches()) {
            throw bad("bad number '" + n + "'");
        }
        boolean integral = n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0;
        try {
            return integral ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
        } catch (NumberFormatException e) {
            throw bad("integer '" + n + "' beyond a long");
        }
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, at)) {
            throw bad("unexpected '" + text.charAt(at) + "'");
        }
        at += word.length();
        return value;
    }

    private void space() {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw bad("ends early");
        }
        return text.charAt(at);
    }

    private char next() {
        char c = peek();
        at++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            throw bad("expected '" + c + "'");
        }
    }

    private IllegalArgumentException bad(String why) {
        return new IllegalArgumentException("bad JSON at character " + at + ": " + why);
    }
}
