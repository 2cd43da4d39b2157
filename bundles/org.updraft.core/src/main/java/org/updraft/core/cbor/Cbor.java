package org.updraft.core.cbor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deterministic CBOR after RFC 8949 §4.2.1: shortest forms for integers and lengths, definite lengths only,
 * map keys ordered by the bytewise order of their encodings. Signed bytes must have one encoding, so
 * {@link #decode} rejects every other encoding of the same value instead of normalising it.
 *
 * <p>Java mapping: unsigned and negative integers ↔ {@link Long} (encoding also takes Integer, Short,
 * Byte), byte strings ↔ {@code byte[]}, text ↔ {@link String}, arrays ↔ {@link List}, maps ↔ {@link Map}
 * (decoded in encoded order; keys are text or integers), {@code true}/{@code false} ↔ {@link Boolean}, {@code null} ↔ null, tags ↔
 * {@link CborTag}. Floating point, undefined and other simple values are not part of Updraft's formats and
 * are refused.
 */
public final class Cbor {

    /** Deeper nesting than any Updraft format uses; bounds the decoder's recursion on hostile input. */
    private static final int MAX_DEPTH = 16;

    private Cbor() {
    }

    /** Encodes a value deterministically. */
    public static byte[] encode(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        write(out, value);
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, Object value) {
        if (value == null) {
            out.write(0xF6);
        } else if (value instanceof Boolean b) {
            out.write(b ? 0xF5 : 0xF4);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            long n = ((Number) value).longValue();
            if (n >= 0) {
                head(out, 0, n);
            } else {
                head(out, 1, -1 - n);
            }
        } else if (value instanceof byte[] bytes) {
            head(out, 2, bytes.length);
            out.writeBytes(bytes);
        } else if (value instanceof String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            head(out, 3, utf8.length);
            out.writeBytes(utf8);
        } else if (value instanceof List<?> list) {
            head(out, 4, list.size());
            for (Object item : list) {
                write(out, item);
            }
        } else if (value instanceof Map<?, ?> map) {
            writeMap(out, map);
        } else if (value instanceof CborTag tag) {
            head(out, 6, tag.tag());
            write(out, tag.value());
        } else {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getName() + " as CBOR");
        }
    }

    private static void writeMap(ByteArrayOutputStream out, Map<?, ?> map) {
        List<byte[][]> entries = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
            entries.add(new byte[][] {encode(e.getKey()), encode(e.getValue())});
        }
        entries.sort((a, b) -> Arrays.compareUnsigned(a[0], b[0]));
        for (int i = 1; i < entries.size(); i++) {
            if (Arrays.equals(entries.get(i - 1)[0], entries.get(i)[0])) {
                throw new IllegalArgumentException("duplicate CBOR map key");
            }
        }
        head(out, 5, entries.size());
        for (byte[][] e : entries) {
            out.writeBytes(e[0]);
            out.writeBytes(e[1]);
        }
    }

    private static void head(ByteArrayOutputStream out, int major, long n) {
        int mt = major << 5;
        if (n >= 0 && n < 24) {
            out.write(mt | (int) n);
        } else if (n >= 0 && n < 0x100) {
            out.write(mt | 24);
            out.write((int) n);
        } else if (n >= 0 && n < 0x10000) {
            out.write(mt | 25);
            out.write((int) (n >>> 8));
            out.write((int) n);
        } else if (n >= 0 && n < 0x100000000L) {
            out.write(mt | 26);
            for (int shift = 24; shift >= 0; shift -= 8) {
                out.write((int) (n >>> shift));
            }
        } else {
            // n is an unsigned 64-bit quantity here (negative longs stand for values above 2^63 - 1)
            out.write(mt | 27);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (n >>> shift));
            }
        }
    }

    /**
     * Decodes exactly one deterministic CBOR data item occupying all of {@code bytes}.
     *
     * @throws CborException naming the offset and the rule broken
     */
    public static Object decode(byte[] bytes) throws CborException {
        Decoder d = new Decoder(bytes);
        Object value = d.item(0);
        if (d.pos != bytes.length) {
            throw new CborException("trailing bytes after the CBOR item at offset " + d.pos);
        }
        return value;
    }

    private static final class Decoder {
        private final byte[] in;
        private int pos;

        Decoder(byte[] in) {
            this.in = in;
        }

        Object item(int depth) throws CborException {
            if (depth > MAX_DEPTH) {
                throw new CborException("CBOR nested deeper than " + MAX_DEPTH + " levels at offset " + pos);
            }
            int start = pos;
            int initial = u8();
            int major = initial >>> 5;
            int info = initial & 31;
            if (major == 7) {
                return simple(info, start);
            }
            long n = argument(info, start);
            switch (major) {
                case 0:
                    if (n < 0) {
                        throw new CborException("integer at offset " + start + " is larger than 2^63-1");
                    }
                    return n;
                case 1:
                    if (n < 0) {
                        throw new CborException("integer at offset " + start + " is smaller than -2^63");
                    }
                    return -1 - n;
                case 2:
                    return take(length(n, start));
                case 3:
                    return utf8(take(length(n, start)), start);
                case 4: {
                    int count = count(n, start);
                    List<Object> list = new ArrayList<>(Math.min(count, 64));
                    for (int i = 0; i < count; i++) {
                        list.add(item(depth + 1));
                    }
                    return Collections.unmodifiableList(list);
                }
                case 5:
                    return map(count(n, start), depth, start);
                case 6:
                    return new CborTag(n, item(depth + 1));
                default:
                    throw new IllegalStateException();
            }
        }

        private Map<Object, Object> map(int count, int depth, int start) throws CborException {
            Map<Object, Object> map = new LinkedHashMap<>();
            byte[] previousKey = null;
            for (int i = 0; i < count; i++) {
                int keyStart = pos;
                Object key = item(depth + 1);
                byte[] keyBytes = Arrays.copyOfRange(in, keyStart, pos);
                if (previousKey != null && Arrays.compareUnsigned(previousKey, keyBytes) >= 0) {
                    throw new CborException("map at offset " + start + " has keys out of deterministic order"
                            + " or duplicated (key at offset " + keyStart + ")");
                }
                if (!(key instanceof String) && !(key instanceof Long)) {
                    throw new CborException("map key at offset " + keyStart + " is neither text nor an integer");
                }
                previousKey = keyBytes;
                map.put(key, item(depth + 1));
            }
            return Collections.unmodifiableMap(map);
        }

        private Object simple(int info, int start) throws CborException {
            switch (info) {
                case 20:
                    return Boolean.FALSE;
                case 21:
                    return Boolean.TRUE;
                case 22:
                    return null;
                case 31:
                    throw new CborException("indefinite-length item at offset " + start + " is not deterministic");
                default:
                    throw new CborException("unsupported CBOR simple value or float at offset " + start);
            }
        }

        private long argument(int info, int start) throws CborException {
            long n;
            if (info < 24) {
                return info;
            } else if (info == 24) {
                n = u8();
                if (n < 24) {
                    throw notShortest(start);
                }
            } else if (info == 25) {
                n = (long) u8() << 8 | u8();
                if (n < 0x100) {
                    throw notShortest(start);
                }
            } else if (info == 26) {
                n = 0;
                for (int i = 0; i < 4; i++) {
                    n = n << 8 | u8();
                }
                if (n < 0x10000) {
                    throw notShortest(start);
                }
            } else if (info == 27) {
                n = 0;
                for (int i = 0; i < 8; i++) {
                    n = n << 8 | u8();
                }
                if (n >= 0 && n < 0x100000000L) {
                    throw notShortest(start);
                }
            } else if (info == 31) {
                throw new CborException("indefinite-length item at offset " + start + " is not deterministic");
            } else {
                throw new CborException("reserved additional information " + info + " at offset " + start);
            }
            return n;
        }

        private CborException notShortest(int start) {
            return new CborException("integer or length at offset " + start + " is not in its shortest form");
        }

        private int length(long n, int start) throws CborException {
            if (n < 0 || n > in.length - pos) {
                throw new CborException("string at offset " + start + " claims " + Long.toUnsignedString(n)
                        + " bytes but only " + (in.length - pos) + " remain");
            }
            return (int) n;
        }

        private int count(long n, int start) throws CborException {
            // every element takes at least one byte: a count above what remains is a lie, refuse before allocating
            if (n < 0 || n > in.length - pos) {
                throw new CborException("array or map at offset " + start + " claims " + Long.toUnsignedString(n)
                        + " elements but only " + (in.length - pos) + " bytes remain");
            }
            return (int) n;
        }

        private int u8() throws CborException {
            if (pos >= in.length) {
                throw new CborException("CBOR ends unexpectedly at offset " + pos);
            }
            return in[pos++] & 0xFF;
        }

        private byte[] take(int len) {
            byte[] b = Arrays.copyOfRange(in, pos, pos + len);
            pos += len;
            return b;
        }

        private String utf8(byte[] bytes, int start) throws CborException {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new CborException("text string at offset " + start + " is not valid UTF-8");
            }
        }
    }
}
