package org.updraft.core.mender;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a tar stream (ustar, with the pax {@code x} and GNU {@code L} extensions Go's archive/tar writes for long
 * names) entry by entry, in one pass: a 512-byte header with its checksum checked, the data, padding to 512 bytes; a
 * zero block ends it. Nothing is held but one header: an entry's data is read through {@link #content()} or
 * {@link #read(int)}, bounded by the caller.
 */
final class TarReader {

    /** A regular file (type {@code 0}) or a directory (type {@code 5}) of {@code size} bytes. */
    record Entry(String name, long size, char type) {
    }

    static final int BLOCK = 512;
    /** Extended headers carry a long name and a few numbers. */
    static final int MAX_EXTENDED = 64 * 1024;
    /** Zeros a writer may append after the end-of-archive blocks (GNU tar pads to 10 KiB records). */
    static final int MAX_TRAILER = 64 * 1024;

    private final InputStream in;
    private final String archive;
    private final byte[] block = new byte[BLOCK];
    private long remaining;
    private long padding;
    private boolean ended;

    /**
     * @param in the tar stream, read once
     * @param archive what it is, for messages, e.g. "data/0000.tar.gz"
     */
    TarReader(InputStream in, String archive) {
        this.in = in;
        this.archive = archive;
    }

    /**
     * @return the next regular file or directory, or null at the end-of-archive block
     * @throws MenderException {@code bad-artifact} when the stream is not a tar, ends early, or holds a link or
     *         device
     */
    Entry next() throws MenderException, IOException {
        if (ended) {
            return null;
        }
        skip(remaining + padding);
        remaining = 0;
        padding = 0;
        String longName = null;
        long paxSize = -1;
        for (int extended = 0;; extended++) {
            if (extended > 8) {
                throw bad("holds more than 8 extended headers in a row");
            }
            if (!fill(block)) {
                throw bad("ends without its end-of-archive block");
            }
            if (zero(block)) {
                ended = true;
                return null;
            }
            checkChecksum();
            char type = (char) (block[156] & 0xFF);
            long size = number(124, 12);
            String name = longName != null ? longName : name();
            long dataSize = paxSize >= 0 ? paxSize : size;
            switch (type) {
                case 'x', 'g', 'L' -> {
                    if (size > MAX_EXTENDED) {
                        throw bad("extended header of " + size + " bytes, more than " + MAX_EXTENDED);
                    }
                    byte[] data = new byte[(int) size];
                    if (!fill(data)) {
                        throw bad("ends early, in an extended header");
                    }
                    skip(pad(size));
                    if (type == 'L') {
                        longName = cString(data, 0, data.length);
                    } else if (type == 'x') {
                        String[] pax = pax(data);
                        if (pax[0] != null) {
                            longName = pax[0];
                        }
                        if (pax[1] != null) {
                            paxSize = parsePaxSize(pax[1]);
                        }
                    }
                    continue;
                }
                case '0', '\0', '5' -> {
                    remaining = type == '5' ? 0 : dataSize;
                    padding = pad(remaining);
                    return new Entry(name, remaining, type == '5' ? '5' : '0');
                }
                default -> throw bad(name + " is of tar type '" + printable(type) + "': only files and directories "
                        + "are allowed");
            }
        }
    }

    /** The current entry's data, read at most once. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new EarlyEnd();
                }
                remaining -= n;
                return n;
            }
        };
    }

    /**
     * The current entry's data, at most {@code max} bytes.
     *
     * @param name the entry's name, for the message
     * @throws MenderException {@code problem} when the entry is larger
     */
    byte[] read(int max, String problem, String name) throws MenderException, IOException {
        if (remaining > max) {
            throw new MenderException(problem, name + " in " + archive + " is " + remaining + " bytes, more than the "
                    + max + " allowed");
        }
        byte[] data = new byte[(int) remaining];
        if (!fill(data)) {
            throw bad("ends early");
        }
        remaining = 0;
        return data;
    }

    /**
     * After the end-of-archive block: only zeros may follow, at most {@code maxTrailer} bytes of them (a stream that
     * goes on is refused, not read to its end).
     */
    void end(long maxTrailer) throws MenderException, IOException {
        byte[] buffer = new byte[8192];
        long read = 0;
        for (int n; (n = in.read(buffer)) >= 0;) {
            for (int i = 0; i < n; i++) {
                if (buffer[i] != 0) {
                    throw bad("holds data after its end-of-archive block");
                }
            }
            read += n;
            if (read > maxTrailer) {
                throw bad("goes on for more than " + maxTrailer + " bytes after its end-of-archive block");
            }
        }
    }

    /** Signals a stream that ends inside an entry's data; {@link MenderVerifier} turns it into a refusal. */
    static final class EarlyEnd extends IOException {
        private static final long serialVersionUID = 1L;

        EarlyEnd() {
            super("tar stream ends inside an entry");
        }
    }

    private void checkChecksum() throws MenderException {
        long stored = number(148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : block[i] & 0xFF;
        }
        if (sum != stored) {
            throw bad("is not a tar archive: header checksum " + sum + ", stored " + stored);
        }
    }

    private String name() {
        String name = cString(block, 0, 100);
        boolean ustar = block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a'
                && block[261] == 'r' && block[262] == 0;
        if (ustar && block[345] != 0) {
            name = cString(block, 345, 155) + "/" + name;
        }
        return name;
    }

    /** An octal field, or GNU's base-256 when the first byte's top bit is set. */
    private long number(int offset, int length) throws MenderException {
        if ((block[offset] & 0x80) != 0) {
            if (block[offset] != (byte) 0x80) {
                throw bad("negative or oversized base-256 number in a header");
            }
            long value = 0;
            for (int i = offset + 1; i < offset + length; i++) {
                if ((value >>> 55) != 0) {
                    throw bad("number in a header overflows");
                }
                value = (value << 8) | (block[i] & 0xFF);
            }
            return value;
        }
        long value = 0;
        boolean digits = false;
        for (int i = offset; i < offset + length; i++) {
            int c = block[i] & 0xFF;
            if (c == 0 || (c == ' ' && digits)) {
                break;
            }
            if (c == ' ') {
                continue;
            }
            if (c < '0' || c > '7' || (value >>> 60) != 0) {
                throw bad("is not a tar archive: header field at " + offset + " is not an octal number");
            }
            value = value * 8 + (c - '0');
            digits = true;
        }
        return value;
    }

    private long parsePaxSize(String value) throws MenderException {
        if (!value.matches("[0-9]{1,18}")) {
            throw bad("pax size '" + value + "' is not a number");
        }
        return Long.parseLong(value);
    }

    /** The path and size records of a pax header: "LEN key=value\n" each. */
    private String[] pax(byte[] data) throws MenderException {
        String[] found = new String[2];
        int at = 0;
        while (at < data.length) {
            int space = at;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, at, space - at, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw bad("pax header record without a length");
            }
            if (length <= space - at + 1 || at + length > data.length || data[at + length - 1] != '\n') {
                throw bad("pax header record of bad length");
            }
            String record = new String(data, space + 1, at + length - space - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq < 0) {
                throw bad("pax header record without '='");
            }
            String key = record.substring(0, eq);
            if (key.equals("path")) {
                found[0] = record.substring(eq + 1);
            } else if (key.equals("size")) {
                found[1] = record.substring(eq + 1);
            }
            at += length;
        }
        return found;
    }

    private static String cString(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long pad(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    private static boolean zero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean fill(byte[] buffer) throws IOException {
        int at = 0;
        while (at < buffer.length) {
            int n = in.read(buffer, at, buffer.length - at);
            if (n < 0) {
                return false;
            }
            at += n;
        }
        return true;
    }

    private void skip(long n) throws MenderException, IOException {
        byte[] buffer = new byte[8192];
        while (n > 0) {
            int r = in.read(buffer, 0, (int) Math.min(buffer.length, n));
            if (r < 0) {
                throw bad("ends early");
            }
            n -= r;
        }
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    private MenderException bad(String why) {
        return new MenderException("bad-artifact", archive + " " + why);
    }
}
