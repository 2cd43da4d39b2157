package org.updraft.storage.local.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Memory does not grow with the object: a file ten times the heap goes in and comes back out. */
class StoreMemoryTest {

    @Test
    void aFileTenTimesTheHeapRoundTrips(@TempDir Path dir) throws Exception {
        long size = 320L * 1024 * 1024;
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-cp", System.getProperty("java.class.path"), FlatMemoryRoundTrip.class.getName(),
                dir.toString(), String.valueOf(size))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the round trip did not finish");

        assertEquals(0, child.exitValue(), out);
        assertTrue(out.startsWith("OK "), out);
    }
}
