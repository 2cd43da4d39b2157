package org.updraft.storage.ipfs.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.updraft.core.json.JsonReader;

/**
 * The JSON the Kubo RPC API answers with, read by the library's {@link JsonReader} (objects as {@link Map}, arrays
 * as {@link List}, strings, integers as {@link Long}, other numbers as {@link Double}, booleans and null), and the
 * little JSON the pinning service is sent. The bundle needs no JSON library for a handful of small answers.
 */
final class Json {

    private Json() {
    }

    /** Parses an answer that must be a JSON object; an error's message ends with the answer, abbreviated. */
    static Map<String, Object> object(String text) {
        try {
            return JsonReader.object(JsonReader.parse(text), "the answer");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + ": " + abbreviate(text), e);
        }
    }

    /** Kubo streams some answers as one JSON object per line. */
    static List<Map<String, Object>> lines(String text) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(object(line));
            }
        }
        return out;
    }

    /** {@code text} as a JSON string literal, quotes included. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    static String abbreviate(String text) {
        String oneLine = text.replace('\n', ' ').strip();
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "…";
    }
}
