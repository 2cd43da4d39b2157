package org.updraft.rest.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.rest.internal.RestTestPlatform.basic;
import static org.updraft.rest.internal.RestTestPlatform.bearer;
import static org.updraft.rest.internal.RestTestPlatform.json;

import java.lang.reflect.Method;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import javax.ws.rs.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** The per-caller rate limit over HTTP and on a clock of its own; the OpenAPI document against the resources. */
class RateLimitAndOpenApiTest {

    @TempDir
    static java.nio.file.Path dir;

    static RestTestPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = new RestTestPlatform(dir, 5);
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @Test
    void aCallerBeyondItsRateGets429AndOthersAreServed() throws Exception {
        String busy = platform.tokens.create("busy", Role.VIEWER);
        String calm = platform.tokens.create("calm", Role.VIEWER);
        int limited = 0;
        HttpResponse<byte[]> last = null;
        for (int i = 0; i < 50; i++) {
            HttpResponse<byte[]> r = platform.get("/status", bearer(busy));
            if (r.statusCode() == 429) {
                limited++;
                last = r;
            } else {
                assertEquals(200, r.statusCode());
            }
        }
        assertTrue(limited > 0, "50 requests at 5 a second were all served");
        RestApiTest.assertProblem(last, 429, "rate-limited");
        assertEquals("1", last.headers().firstValue("Retry-After").orElse(""));
        assertEquals(200, platform.get("/status", bearer(calm)).statusCode());
    }

    @Test
    void passwordGuessesForOneUserAreLimitedToo() throws Exception {
        String wrong = "Basic " + java.util.Base64.getEncoder().encodeToString("olga:guess".getBytes());
        int limited = 0;
        for (int i = 0; i < 30; i++) {
            HttpResponse<byte[]> r = platform.get("/status", wrong);
            if (r.statusCode() == 429) {
                limited++;
                RestApiTest.assertProblem(r, 429, "rate-limited");
            } else {
                RestApiTest.assertProblem(r, 401, "bad-credentials");
            }
        }
        assertTrue(limited > 0, "30 password guesses at 5 a second were all tried");
    }

    @Test
    void theLimitCountsWholeSecondsPerCaller() {
        AtomicLong nanos = new AtomicLong();
        RateLimit limit = new RateLimit(3, nanos::get);
        for (int i = 0; i < 3; i++) {
            assertTrue(limit.admit("t:a"));
        }
        assertFalse(limit.admit("t:a"));
        assertTrue(limit.admit("u:b"));
        nanos.addAndGet(1_000_000_000L);
        assertTrue(limit.admit("t:a"));
        assertTrue(new RateLimit(0, nanos::get).admit("anyone"));
    }

    @Test
    void theOpenApiDocumentDescribesEveryResourceMethodWithItsRole() throws Exception {
        HttpResponse<byte[]> served = platform.get("/openapi.json", basic("vera"));
        assertEquals(200, served.statusCode(), new String(served.body()));
        JsonNode doc = json(served);
        assertEquals("3.0.3", doc.get("openapi").asText());
        JsonNode paths = doc.get("paths");

        List<Class<?>> resources = new ArrayList<>();
        for (Object singleton : platform.api.getSingletons()) {
            if (singleton.getClass().isAnnotationPresent(Path.class)) {
                resources.add(singleton.getClass());
            }
        }
        assertEquals(8, resources.size(), resources.toString());
        int operations = 0;
        for (Class<?> type : resources) {
            for (Method m : type.getMethods()) {
                String verb = OpenApiResource.verb(m);
                if (verb == null) {
                    continue;
                }
                String path = "/" + join(type.getAnnotation(Path.class).value(),
                        m.isAnnotationPresent(Path.class) ? m.getAnnotation(Path.class).value() : "");
                JsonNode op = paths.path(path).path(verb.toLowerCase(Locale.ROOT));
                assertFalse(op.isMissingNode(), "the document lacks " + verb + " " + path + " (" + type.getSimpleName()
                        + "." + m.getName() + ")");
                Allowed allowed = m.getAnnotation(Allowed.class);
                assertNotNull(allowed, type.getSimpleName() + "." + m.getName() + " names no role");
                assertEquals(allowed.value().id(), op.get("x-updraft-role").asText(), path);
                operations++;
            }
        }
        int documented = 0;
        for (JsonNode item : paths) {
            documented += item.size();
        }
        assertEquals(operations, documented, "the document describes exactly the resource methods");
        assertTrue(operations >= 29, "operations: " + operations);
        // the publish upload and a path parameter are described as a client generator needs them
        JsonNode publish = paths.get("/releases").get("post");
        assertTrue(publish.get("requestBody").get("content").has("multipart/form-data"));
        assertEquals("path", paths.get("/rollouts/{id}/pause").get("post").get("parameters").get(0).get("in").asText());
        // what the web console reads beyond the shell's views
        assertEquals("viewer", paths.get("/fleet").get("get").get("x-updraft-role").asText());
        assertEquals("viewer", paths.get("/caller").get("get").get("x-updraft-role").asText());
        assertEquals("before", paths.get("/devices/{id}/history").get("get").get("parameters").get(1).get("name")
                .asText());
    }

    private static String join(String a, String b) {
        String x = a.replaceAll("^/+|/+$", "");
        String y = b.replaceAll("^/+|/+$", "");
        return x.isEmpty() ? y : y.isEmpty() ? x : x + "/" + y;
    }
}
