package org.updraft.cli;

/**
 * Writes one flat JSON object (RFC 8259), members in the order given. Strings are escaped completely:
 * quotes, backslashes and every control character, so any manifest text gives valid JSON.
 */
final class Json {

    private final StringBuilder sb = new StringBuilder("{");

    Json put(String name, String value) {
        name(name);
        if (value == null) {
            sb.append("null");
        } else {
            string(value);
        }
        return this;
    }

    Json put(String name, long value) {
        name(name);
        sb.append(value);
        return this;
    }

    Json put(String name, boolean value) {
        name(name);
        sb.append(value);
        return this;
    }

    private void name(String name) {
        if (sb.length() > 1) {
            sb.append(',');
        }
        string(name);
        sb.append(':');
    }

    private void string(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    // U+2028 and U+2029 are valid JSON but break JavaScript that embeds it
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        return sb + "}";
    }
}
