package org.updraft.rest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A {@code multipart/form-data} body (RFC 7578) read as it arrives, one part after the other, each part's content a
 * stream that ends at the next boundary: an upload of any size passes through a buffer of a fixed size, so memory
 * stays flat. Bodies that break the format are refused (400 {@code malformed-multipart}).
 */
final class FormData {

    private static final int BUFFER = 64 * 1024;
    private static final int MAX_HEADERS = 16 * 1024;

    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buf;
    private int pos;
    private int lim;
    private boolean eof;
    private boolean finished;
    private Part current;

    /** One part: its form field name and its content, to be read before the next part is asked for. */
    final class Part extends InputStream {
        private final String name;
        private boolean done;

        private Part(String name) {
            this.name = name;
        }

        String name() {
            return name;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            ensure(delimiter.length);
            int at = indexOf(delimiter, pos, lim);
            int safe;
            if (at >= 0) {
                safe = at - pos;
                if (safe == 0) {
                    pos += delimiter.length;
                    done = true;
                    return -1;
                }
            } else {
                if (eof) {
                    throw malformed("the body ends inside part '" + name + "'");
                }
                safe = lim - pos - (delimiter.length - 1);
            }
            int n = Math.min(len, safe);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /**
     * @param contentType the request's Content-Type, whose {@code boundary} parameter delimits the parts
     */
    FormData(InputStream in, String contentType) {
        String boundary = boundary(contentType);
        this.in = in;
        // the first boundary is not preceded by CRLF: one is put in front of the body, so every boundary looks alike
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[BUFFER + delimiter.length + MAX_HEADERS];
        buf[0] = '\r';
        buf[1] = '\n';
        lim = 2;
    }

    /** The next part, or {@code null} after the last; what is left of the previous part is skipped. */
    Part next() throws IOException {
        if (finished) {
            return null;
        }
        if (current == null) {
            skipPreamble();
        } else {
            current.skip(Long.MAX_VALUE);
            while (current.read() >= 0) {
                // drained: skip(n) of InputStream stops early at the part's end
            }
        }
        ensure(2);
        if (lim - pos >= 2 && buf[pos] == '-' && buf[pos + 1] == '-') {
            finished = true;
            return null;
        }
        String name = null;
        skipLine(); // rest of the boundary line (transport padding)
        int headerBytes = 0;
        for (String line; !(line = line()).isEmpty();) {
            headerBytes += line.length() + 2;
            if (headerBytes > MAX_HEADERS) {
                throw malformed("a part's headers are larger than " + MAX_HEADERS + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Disposition")) {
                name = parameter(line.substring(colon + 1), "name");
            }
        }
        if (name == null) {
            throw malformed("a part has no Content-Disposition name");
        }
        current = new Part(name);
        return current;
    }

    private void skipPreamble() throws IOException {
        Part preamble = new Part("(preamble)");
        byte[] sink = new byte[4096];
        while (preamble.read(sink, 0, sink.length) >= 0) {
            // discarded, as RFC 2046 says
        }
        current = preamble;
    }

    private void skipLine() throws IOException {
        line();
    }

    /** A header line without its CRLF (header values are ASCII in practice; a file name may be UTF-8). */
    private String line() throws IOException {
        int scanned = 0; // bytes after pos known to hold no CRLF start
        while (true) {
            for (int i = pos + scanned; i + 1 < lim; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n') {
                    String line = new String(buf, pos, i - pos, StandardCharsets.UTF_8);
                    pos = i + 2;
                    return line;
                }
            }
            int have = lim - pos;
            scanned = Math.max(0, have - 1);
            if (have > MAX_HEADERS) {
                throw malformed("a part's header line is longer than " + MAX_HEADERS + " bytes");
            }
            ensure(have + 1);
            if (lim - pos <= have) {
                throw malformed("the body ends inside a part's headers");
            }
        }
    }

    /** Makes at least {@code n} bytes available from {@code pos}, unless the body ends first. */
    private void ensure(int n) throws IOException {
        if (lim - pos >= n || eof) {
            return;
        }
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        while (lim < n && !eof) {
            int r = in.read(buf, lim, buf.length - lim);
            if (r < 0) {
                eof = true;
            } else {
                lim += r;
            }
        }
        // fill the rest of the buffer when the stream has it at once: fewer, larger copies
        while (!eof && lim < buf.length && in.available() > 0) {
            int r = in.read(buf, lim, buf.length - lim);
            if (r < 0) {
                eof = true;
            } else {
                lim += r;
            }
        }
    }

    private int indexOf(byte[] needle, int from, int to) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static String boundary(String contentType) {
        String b = contentType == null ? null : parameter(contentType, "boundary");
        if (b == null || b.isEmpty() || b.length() > 70) {
            throw malformed("Content-Type multipart/form-data needs a boundary of 1-70 characters");
        }
        return b;
    }

    /** A parameter of a header value ({@code ; name="value"} or {@code ; name=value}), or {@code null}. */
    static String parameter(String header, String name) {
        String[] params = header.split(";(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
        for (int i = 1; i < params.length; i++) {
            String p = params[i].trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals(name)) {
                String v = p.substring(eq + 1).trim();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
                }
                return v;
            }
        }
        return null;
    }

    private static ApiProblem malformed(String detail) {
        return ApiProblem.badRequest("malformed-multipart", detail);
    }
}
