package org.updraft.rest.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** multipart/form-data as curl and browsers send it, read in pieces of any size. */
class FormDataTest {

    private static final String BOUNDARY = "------------------------2ab02532ac541a31";

    @Test
    void partsAreReadInOrderWhateverTheReadSizes() throws Exception {
        byte[] image = new byte[300_000];
        new Random(1).nextBytes(image);
        // the image holds the start of the delimiter, which must not end the part
        byte[] trap = ("\r\n--" + BOUNDARY.substring(0, 20)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(trap, 0, image, 1000, trap.length);
        byte[] manifest = "a manifest\r\n--not the boundary".getBytes(StandardCharsets.US_ASCII);
        byte[] body = body("preamble to ignore\r\n", Map.of("image", image), Map.of("manifest", manifest),
                Map.of("class", "camera".getBytes(StandardCharsets.UTF_8)));
        for (int chunk : new int[] {1, 3, 7, 100, 70_000}) {
            Map<String, byte[]> parts = read(new Trickle(new ByteArrayInputStream(body), chunk));
            assertEquals(java.util.List.of("image", "manifest", "class"), java.util.List.copyOf(parts.keySet()));
            assertArrayEquals(image, parts.get("image"), "chunk " + chunk);
            assertArrayEquals(manifest, parts.get("manifest"));
            assertEquals("camera", new String(parts.get("class"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void anUnreadPartIsSkipped() throws Exception {
        byte[] body = body("", Map.of("junk", new byte[100_000]), Map.of("manifest", "m".getBytes()));
        FormData form = new FormData(new ByteArrayInputStream(body), "multipart/form-data; boundary=\"" + BOUNDARY
                + "\"");
        assertEquals("junk", form.next().name());
        FormData.Part manifest = form.next();
        assertEquals("manifest", manifest.name());
        assertEquals("m", new String(manifest.readAllBytes()));
        assertNull(form.next());
    }

    @Test
    void brokenBodiesAreRefused() {
        byte[] whole = body("", Map.of("image", new byte[5000]));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 60);
        assertEquals("malformed-multipart", assertThrows(ApiProblem.class, () -> read(new ByteArrayInputStream(cut)))
                .code());
        byte[] nameless = ("--" + BOUNDARY + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + BOUNDARY + "--\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertEquals("malformed-multipart", assertThrows(ApiProblem.class,
                () -> read(new ByteArrayInputStream(nameless))).code());
        assertEquals("malformed-multipart", assertThrows(ApiProblem.class,
                () -> new FormData(new ByteArrayInputStream(whole), "multipart/form-data")).code());
    }

    private static Map<String, byte[]> read(InputStream in) throws IOException {
        FormData form = new FormData(in, "multipart/form-data; boundary=" + BOUNDARY);
        Map<String, byte[]> parts = new LinkedHashMap<>();
        for (FormData.Part p; (p = form.next()) != null;) {
            parts.put(p.name(), p.readAllBytes());
        }
        return parts;
    }

    @SafeVarargs
    private static byte[] body(String preamble, Map<String, byte[]>... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(preamble.getBytes(StandardCharsets.US_ASCII));
        for (Map<String, byte[]> part : parts) {
            var e = part.entrySet().iterator().next();
            out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + e.getKey()
                    + "\"; filename=\"" + e.getKey() + ".bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(e.getValue());
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** A stream that gives at most {@code chunk} bytes a read, as a slow socket does. */
    private static final class Trickle extends FilterInputStream {
        private final int chunk;

        Trickle(InputStream in, int chunk) {
            super(in);
            this.chunk = chunk;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, chunk));
        }

        @Override
        public int available() {
            return 0;
        }
    }
}
