package org.updraft.core.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class CountedRefusalsTest {

    private record Line(String kind, long since, long total, String detail) {
    }

    private final AtomicLong clock = new AtomicLong(123_456_789L);
    private final List<Line> lines = Collections.synchronizedList(new ArrayList<>());
    private final CountedRefusals refusals = new CountedRefusals(Duration.ofMinutes(1), clock::get,
            (kind, since, total, detail) -> lines.add(new Line(kind, since, total, detail)));

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    @Test
    void theFirstRefusalOfAKindIsReportedAtOnceAndAFloodOnlyOnceAMinuteWithTheCountSinceTheLastLine() {
        assertTrue(refusals.refused("short-datagram", "2 bytes"), "reported");
        assertEquals(List.of(new Line("short-datagram", 1, 1, "2 bytes")), lines);

        for (int i = 0; i < 5000; i++) {
            assertFalse(refusals.refused("short-datagram", "3 bytes"));
            advance(Duration.ofMillis(10)); // 50 s in all: still within the minute
        }
        assertEquals(1, lines.size(), "nothing more within the minute");
        assertEquals(5001, refusals.count("short-datagram"));

        advance(Duration.ofSeconds(10));
        assertTrue(refusals.refused("short-datagram", "1 byte"));
        assertEquals(new Line("short-datagram", 5001, 5002, "1 byte"), lines.get(1),
                "the next line counts every refusal since the last one");
        refusals.refused("short-datagram", "1 byte");
        assertEquals(2, lines.size());
    }

    @Test
    void eachKindHasItsOwnMinute() {
        refusals.refused("bad-query", "seq=x");
        refusals.refused("bad-query", "seq=y");
        refusals.refused("bad-path", "a/b");
        refusals.refused("bad-path", "a//b");
        assertEquals(List.of(new Line("bad-query", 1, 1, "seq=x"), new Line("bad-path", 1, 1, "a/b")), lines);
        advance(Duration.ofSeconds(59));
        refusals.refused("bad-query", "seq=z");
        assertEquals(2, lines.size());
        advance(Duration.ofSeconds(1));
        refusals.refused("bad-query", "seq=z");
        assertEquals(new Line("bad-query", 3, 4, "seq=z"), lines.get(2));
        refusals.refused("bad-path", "x/");
        assertEquals(new Line("bad-path", 2, 3, "x/"), lines.get(3));
    }

    @Test
    void theSummaryListsKindsByNameWithTheirCounts() {
        assertEquals("", refusals.summary());
        assertEquals(0, refusals.total());
        refusals.refused("short-datagram", "");
        refusals.refused("bad-query", "");
        refusals.refused("short-datagram", "");
        refusals.refused("short-datagram", "");
        assertEquals("bad-query 1, short-datagram 3", refusals.summary());
        assertEquals(Map.of("bad-query", 1L, "short-datagram", 3L), refusals.counts());
        assertEquals(4, refusals.total());
        assertEquals(0, refusals.count("bad-path"));
    }

    @Test
    void detailsAreOneShortLine() {
        refusals.refused("bad-path", "line one\nline two\r\n\tthree");
        refusals.refused("bad-query", "x".repeat(1000));
        assertEquals("line one line two three", lines.get(0).detail());
        assertEquals(200, lines.get(1).detail().length());
        assertTrue(lines.get(1).detail().endsWith("..."));
        refusals.refused("bad-header", null);
        assertEquals("", lines.get(2).detail());
    }

    @Test
    void kindsAreBoundedSoThatNamesFromInputCannotGrowTheMap() {
        for (int i = 0; i < CountedRefusals.MAX_KINDS + 500; i++) {
            refusals.refused("kind-" + i, "");
        }
        assertEquals(CountedRefusals.MAX_KINDS + 1, refusals.counts().size());
        assertEquals(500, refusals.count("other"));
        assertEquals(CountedRefusals.MAX_KINDS + 500, refusals.total());
        assertEquals(CountedRefusals.MAX_KINDS + 1, lines.size(), "other is reported once, like any kind");
        assertEquals("other", lines.get(lines.size() - 1).kind());
    }

    @Test
    void manyThreadsCountEveryRefusalAndReportOncePerMinute() throws Exception {
        int threads = 4;
        int each = 50_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        refusals.refused(i % 2 == 0 ? "short-datagram" : "bad-version", "");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals((long) threads * each, refusals.total());
        assertEquals((long) threads * each / 2, refusals.count("bad-version"));
        assertEquals(2, lines.size(), "one line per kind while the clock stands: " + lines);

        advance(Duration.ofMinutes(1));
        refusals.refused("bad-version", "");
        Line second = lines.get(2);
        assertEquals("bad-version", second.kind());
        assertEquals(threads * each / 2 + 1, second.total());
        long first = lines.stream().filter(l -> l.kind().equals("bad-version")).findFirst().orElseThrow().since();
        assertEquals(second.total(), first + second.since(),
                "the second line counts every refusal the first did not");
    }

    @Test
    void aNegativeIntervalIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new CountedRefusals(Duration.ofSeconds(-1), System::nanoTime, (k, s, t, d) -> { }));
    }
}
