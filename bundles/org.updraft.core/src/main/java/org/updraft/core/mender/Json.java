package org.updraft.core.mender;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON of Mender's metadata files (RFC 8259): objects as {@link Map}, arrays as {@link List}, strings, numbers
 * as {@link BigDecimal}, booleans and null. The caller bounds the input's size; nesting is bounded here.
 */
final class Json {

    static final int MAX_DEPTH = 32;

    private final String text;
    private final String file;
    private int at;

    private Json(String text, String file) {
        this.text = text;
        this.file = file;
    }

    /**
     * @param bytes UTF-8 JSON text
     * @param file the file's name, for messages
     * @throws MenderException {@code bad-header} when it is not one JSON value
     */
    static Object parse(byte[] bytes, String file) throws MenderException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MenderException("bad-header", file + " is not UTF-8 text");
        }
        Json json = new Json(text, file);
        Object value = json.value(0);
        json.space();
        if (json.at != text.length()) {
            throw json.bad("text after the JSON value");
        }
        return value;
    }

    /** The value as an object, or a refusal naming what it should have been. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value, String what) throws MenderException {
        if (!(value instanceof Map)) {
            throw new MenderException("bad-header", what + " is not a JSON object");
        }
        return (Map<String, Object>) value;
    }

    private Object value(int depth) throws MenderException {
        if (depth > MAX_DEPTH) {
            throw bad("nested deeper than " + MAX_DEPTH);
        }
        space();
        if (at >= text.length()) {
            throw bad("ends early");
        }
        char c = text.charAt(at);
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

    private Map<String, Object> object(int depth) throws MenderException {
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
            if (map.put(name, value(depth + 1)) != null) {
                throw bad("member \"" + name + "\" twice");
            }
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

    private List<Object> array(int depth) throws MenderException {
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

    private String string() throws MenderException {
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

    private BigDecimal number() throws MenderException {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        String n = text.substring(start, at);
        if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?") || n.length() > 64) {
            throw bad("bad number '" + n + "'");
        }
        return new BigDecimal(n);
    }

    private Object literal(String word, Object value) throws MenderException {
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

    private char peek() throws MenderException {
        if (at >= text.length()) {
            throw bad("ends early");
        }
        return text.charAt(at);
    }

    private char next() throws MenderException {
        char c = peek();
        at++;
        return c;
    }

    private void expect(char c) throws MenderException {
        if (next() != c) {
            throw bad("expected '" + c + "'");
        }
    }

    private MenderException bad(String why) {
        return new MenderException("bad-header", file + " is not valid JSON: " + why + " at character " + at);
    }
}
