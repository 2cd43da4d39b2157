package org.updraft.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;

class WaveOptionTest {

    @Test
    void aCanaryWithEverySetting() {
        WaveSpec w = WaveOption.parse("canary;devices:d1, d2,d3;success=100;error=20;manual;window=22:00-04:00;cap=2");
        assertEquals("canary", w.name());
        assertEquals(new WaveSelector.Devices(List.of("d1", "d2", "d3")), w.selector());
        assertEquals(100, w.successPercent());
        assertEquals(20, w.errorPercent());
        assertFalse(w.autoAdvance());
        assertEquals(2, w.maxConcurrentDownloads());
        assertTrue(w.window().contains(Instant.parse("2026-11-23T23:30:00Z")));
        assertTrue(w.window().contains(Instant.parse("2026-11-23T03:59:00Z")));
        assertFalse(w.window().contains(Instant.parse("2026-11-23T12:00:00Z")));
        assertEquals("canary;devices:d1,d2,d3;success=100;error=20;manual;window=22:00-04:00;cap=2",
                WaveOption.format(w));
    }

    @Test
    void defaultsAreAutomaticWithTheDocumentedThresholds() {
        WaveSpec w = WaveOption.parse("rest;percent:100");
        assertEquals(new WaveSelector.Percent(100), w.selector());
        assertEquals(WaveOption.DEFAULT_SUCCESS, w.successPercent());
        assertEquals(WaveOption.DEFAULT_ERROR, w.errorPercent());
        assertTrue(w.autoAdvance());
        assertNull(w.window());
        assertEquals(WaveSpec.class, WaveOption.parse(WaveOption.format(w)).getClass());
        assertEquals(w, WaveOption.parse(WaveOption.format(w)));
    }

    @Test
    void mistakesAreNamed() {
        assertTrue(message("canary").contains("must be NAME;SELECTOR"));
        assertTrue(message("eu;region:").contains("nothing after"));
        assertTrue(message("eu;continent:eu").contains("unknown kind"));
        assertTrue(message("eu;region:eu;speed=3").contains("unknown setting 'speed'"));
        assertTrue(message("eu;region:eu;error=lots").contains("error needs a number"));
        assertTrue(message("eu;percent:0").contains("above 0"));
        assertTrue(message("eu;region:eu;success=120").contains("between 0 and 100"));
        assertTrue(message("eu;region:eu;window=9-5").contains("HH:MM-HH:MM"));
    }

    private static String message(String text) {
        return assertThrows(IllegalArgumentException.class, () -> WaveOption.parse(text)).getMessage();
    }
}
