package org.updraft.transport.ddi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.updraft.api.device.DeviceState;
import org.updraft.core.json.JsonReader;

/** The JSON DDI clients send and get, read and written without a JSON library. */
class JsonMappingTest {

    private static Feedback feedback(String json) {
        return Feedback.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void writesWhatTheReaderReadsBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a \"quoted\" \\ line\nwith\ttab and \u0001");
        m.put("n", 42L);
        m.put("b", true);
        m.put("z", null);
        m.put("l", List.of("x", 1L, Map.of("k", "v")));
        String text = JsonText.write(m);
        assertEquals(m, JsonReader.parse(text));
        Map<String, Object> ordered = new LinkedHashMap<>();
        ordered.put("a", 1L);
        ordered.put("b", List.of());
        assertEquals("{\"a\":1,\"b\":[]}", JsonText.write(ordered));
    }

    @Test
    void suricattasFeedbackMapsToDeviceStates() {
        // what SWUpdate's suricatta sends, legacy fields and all
        Feedback installing = feedback("{\"id\": 1234, \"time\": \"20261207T020000\", \"status\": {\"result\": "
                + "{\"progress\": {\"cnt\": 0, \"of\": 0}, \"finished\": \"none\"}, \"execution\": \"proceeding\", "
                + "\"details\": [\"Installing Update\"]}}");
        assertEquals(Optional.of(DeviceState.DOWNLOADING), installing.state());
        assertEquals(List.of("Installing Update"), installing.details());
        assertEquals(Optional.of(DeviceState.INSTALLED), feedback("{\"status\":{\"execution\":\"closed\","
                + "\"result\":{\"finished\":\"success\"}}}").state());
        Feedback failed = feedback("{\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":\"failure\"},"
                + "\"details\":[\"one\",\"two\"]}}");
        assertEquals(Optional.of(DeviceState.FAILED), failed.state());
        assertEquals("ddi-failure: one; two", failed.reason(200));
        assertEquals("ddi-failure: o", failed.reason(14));
        assertEquals(Optional.of(DeviceState.DOWNLOADED), feedback("{\"status\":{\"execution\":\"downloaded\"}}")
                .state());
        assertEquals(Optional.of(DeviceState.FAILED), feedback("{\"status\":{\"execution\":\"rejected\"}}").state());
        assertEquals(Optional.empty(), feedback("{\"status\":{\"execution\":\"resumed\"}}").state());
    }

    @Test
    void refusesFeedbackItCannotRead() {
        assertEquals("the feedback has no 'status'", assertThrows(IllegalArgumentException.class,
                () -> feedback("{\"id\":1}")).getMessage());
        assertEquals("status.execution 'done' is none of " + Feedback.EXECUTIONS, assertThrows(
                IllegalArgumentException.class, () -> feedback("{\"status\":{\"execution\":\"done\"}}")).getMessage());
        assertEquals("status.execution is not a JSON string", assertThrows(IllegalArgumentException.class,
                () -> feedback("{\"status\":{\"execution\":1}}")).getMessage());
        assertEquals("status.details is not a JSON array", assertThrows(IllegalArgumentException.class,
                () -> feedback("{\"status\":{\"execution\":\"closed\",\"details\":\"x\"}}")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> feedback("{\"status\":"));
        assertThrows(IllegalArgumentException.class, () -> feedback("[]"));
        assertThrows(IllegalArgumentException.class,
                () -> feedback("{\"status\":{\"execution\":\"closed\"}}").state());
    }

    @Test
    void pollingSleepAndRanges() throws Exception {
        assertEquals("00:05:00", ControllerServlet.sleep(Duration.ofMinutes(5)));
        assertEquals("26:00:01", ControllerServlet.sleep(Duration.ofHours(26).plusSeconds(1)));
        assertEquals(Duration.ofSeconds(3723), DdiTransport.pollingSleep("01:02:03"));
        assertThrows(IllegalArgumentException.class, () -> DdiTransport.pollingSleep("5 minutes"));
        assertThrows(IllegalArgumentException.class, () -> DdiTransport.pollingSleep("00:00:00"));
        assertNull(ControllerServlet.range(null, 10));
        assertArrayEquals(new long[] {2, 9}, ControllerServlet.range("bytes=2-", 10));
        assertArrayEquals(new long[] {7, 9}, ControllerServlet.range("bytes=-3", 10));
        assertArrayEquals(new long[] {0, 9}, ControllerServlet.range("bytes=0-100", 10));
        assertNull(ControllerServlet.range("bytes=0-1,4-5", 10));
        assertEquals(416, assertThrows(ControllerServlet.Refusal.class, () -> ControllerServlet.range("bytes=10-",
                10)).status);
        assertEquals(400, assertThrows(ControllerServlet.Refusal.class, () -> ControllerServlet.range("items=1-2",
                10)).status);
    }

    @Test
    void actionIdsArePositive32BitAndStable() {
        long id = Actions.actionId("r-0123456789abcdef");
        assertEquals(id, Actions.actionId("r-0123456789abcdef"));
        for (int i = 0; i < 1000; i++) {
            long other = Actions.actionId("r-" + i);
            org.junit.jupiter.api.Assertions.assertTrue(other > 0 && other <= Integer.MAX_VALUE);
        }
    }

    @Test
    void rateLimitCountsEachKeyInWholeSeconds() {
        long[] now = {5_000_000_000L};
        RateLimit limit = new RateLimit(2, () -> now[0]);
        org.junit.jupiter.api.Assertions.assertTrue(limit.admit("a"));
        org.junit.jupiter.api.Assertions.assertTrue(limit.admit("a"));
        org.junit.jupiter.api.Assertions.assertFalse(limit.admit("a"));
        org.junit.jupiter.api.Assertions.assertTrue(limit.admit("b"));
        now[0] += 1_000_000_000L;
        org.junit.jupiter.api.Assertions.assertTrue(limit.admit("a"), "a new second");
        RateLimit off = new RateLimit(0, () -> now[0]);
        for (int i = 0; i < 100; i++) {
            org.junit.jupiter.api.Assertions.assertTrue(off.admit("a"));
        }
        assertThrows(IllegalArgumentException.class, () -> new RateLimit(-1, () -> 0));
    }
}
