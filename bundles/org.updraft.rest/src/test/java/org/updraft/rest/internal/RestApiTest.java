package org.updraft.rest.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.rest.internal.RestTestPlatform.basic;
import static org.updraft.rest.internal.RestTestPlatform.bearer;
import static org.updraft.rest.internal.RestTestPlatform.json;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The API over HTTP, on a platform of real components: a release published, rolled out, paused and verified with a
 * token of each role, and what each role, a bad token, a bad password and bad input are refused, with nothing written.
 */
class RestApiTest {

    @TempDir
    static Path dir;

    static RestTestPlatform platform;
    static String viewer;
    static String operator;
    static String admin;

    @BeforeAll
    static void start() throws Exception {
        platform = new RestTestPlatform(dir, 1000);
        viewer = platform.tokens.create("dash", Role.VIEWER);
        operator = platform.tokens.create("ci", Role.OPERATOR);
        admin = platform.tokens.create("root", Role.ADMIN);
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @Test
    void publishRollOutPauseAndVerifyWithTokensOfEachRole() throws Exception {
        RestTestPlatform.Signed release = platform.sign(1, 300_000);
        long before = platform.ledger.size();

        // a viewer may not publish: refused, nothing stored or recorded
        HttpResponse<byte[]> refused = platform.publish(bearer(viewer), release);
        assertProblem(refused, 403, "role-too-low");
        assertEquals(before, platform.ledger.size());
        assertEquals(0, platform.store.list().size());

        HttpResponse<byte[]> published = platform.publish(bearer(operator), release);
        assertEquals(201, published.statusCode(), new String(published.body()));
        assertEquals("acme/camera/1", json(published).get("id").asText());
        assertTrue(platform.ledgerLines().contains("release.published by token:ci"), platform.ledgerLines().toString());

        for (int i = 0; i < 4; i++) {
            HttpResponse<byte[]> added = platform.send("POST", "/devices", bearer(operator), "{\"id\":\"cam-" + i
                    + "\",\"key\":\"" + SigningKey.generate(KeyAlgorithm.ED25519).did()
                    + "\",\"vendor\":\"acme\",\"class\":\"camera\",\"region\":\"eu\",\"version\":\"1.0.0\"}");
            assertEquals(201, added.statusCode(), new String(added.body()));
        }

        String spec = "{\"release\":\"acme/camera/1\",\"waves\":[{\"name\":\"canary\",\"selector\":\"devices:cam-0\","
                + "\"success\":100},{\"name\":\"rest\",\"selector\":\"percent:100\"}]}";
        assertProblem(platform.send("POST", "/rollouts", bearer(viewer), spec), 403, "role-too-low");
        HttpResponse<byte[]> created = platform.send("POST", "/rollouts", bearer(operator), spec);
        assertEquals(201, created.statusCode(), new String(created.body()));
        String id = json(created).get("id").asText();
        assertEquals("draft", json(created).get("state").asText());

        assertProblem(platform.send("POST", "/rollouts/" + id + "/start", bearer(viewer), null), 403, "role-too-low");
        HttpResponse<byte[]> started = platform.send("POST", "/rollouts/" + id + "/start", bearer(operator), null);
        assertEquals(200, started.statusCode(), new String(started.body()));
        assertEquals("running", json(started).get("state").asText());

        HttpResponse<byte[]> paused = platform.send("POST", "/rollouts/" + id + "/pause", basic("olga"),
                "{\"reason\":\"field report\"}");
        assertEquals(200, paused.statusCode(), new String(paused.body()));
        assertEquals("paused", json(paused).get("state").asText());
        assertEquals("field report", json(paused).get("reason").asText());

        HttpResponse<byte[]> progress = platform.get("/rollouts/" + id + "/progress", bearer(viewer));
        assertEquals(200, progress.statusCode());
        JsonNode waves = json(progress).get("waves");
        assertEquals(2, waves.size());
        assertEquals(1, waves.get(0).get("members").asInt());

        HttpResponse<byte[]> resumed = platform.send("POST", "/rollouts/" + id + "/resume", bearer(admin), null);
        assertEquals("running", json(resumed).get("state").asText());

        List<String> lines = platform.ledgerLines();
        assertTrue(lines.contains("rollout.changed running by token:ci"), lines.toString());
        assertTrue(lines.contains("rollout.changed paused by operator:olga"), lines.toString());
        assertTrue(lines.contains("rollout.changed running by token:root"), lines.toString());

        // the ledger through the API, as a viewer: the pause is there, named, and the whole log verifies
        HttpResponse<byte[]> tail = platform.get("/ledger/events?limit=1000", bearer(viewer));
        List<String> viaApi = new ArrayList<>();
        json(tail).get("events").forEach(e -> viaApi.add(e.get("type").asText() + " " + e.get("state").asText()
                + " by " + e.get("by").asText()));
        assertTrue(viaApi.contains("rollout.changed paused by operator:olga"), viaApi.toString());
        HttpResponse<byte[]> verified = platform.get("/ledger/verify", bearer(viewer));
        assertEquals(200, verified.statusCode(), new String(verified.body()));
        assertTrue(json(verified).get("consistent").asBoolean());
        assertEquals(platform.ledger.size(), json(verified).get("events").asLong());

        HttpResponse<byte[]> proof = platform.get("/releases/acme/camera/1/proof", bearer(viewer));
        assertEquals(200, proof.statusCode(), new String(proof.body()));
        assertTrue(json(proof).get("verified").asBoolean());
        assertEquals("release.published", json(proof).get("event").get("type").asText());
    }

    @Test
    void trustChangesAreForAdminsOnly() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        String body = "{\"did\":\"" + key.did() + "\",\"vendor\":\"globex\"}";
        long before = platform.ledger.size();
        assertProblem(platform.send("POST", "/trust", bearer(operator), body), 403, "role-too-low");
        assertProblem(platform.send("POST", "/trust", basic("olga"), body), 403, "role-too-low");
        assertEquals(before, platform.ledger.size());

        HttpResponse<byte[]> added = platform.send("POST", "/trust", basic("alice"), body);
        assertEquals(201, added.statusCode(), new String(added.body()));
        assertTrue(platform.ledgerLines().contains("trust.key-registered by operator:alice"),
                platform.ledgerLines().toString());

        HttpResponse<byte[]> revoked = platform.send("POST", "/trust/" + key.did() + "/revoke", bearer(admin),
                "{\"reason\":\"lost\"}");
        assertEquals(200, revoked.statusCode(), new String(revoked.body()));
        assertEquals("revoked", json(revoked).get("status").asText());

        HttpResponse<byte[]> list = platform.get("/trust", bearer(viewer));
        assertEquals(200, list.statusCode());
        assertTrue(new String(list.body()).contains(key.did()));
    }

    @Test
    void noAnonymousAccessAndBadCredentialsAreRefused() throws Exception {
        assertProblem(platform.get("/status", null), 401, "unauthenticated");
        // an unknown path tells an anonymous caller nothing either
        assertProblem(platform.get("/no-such-thing", null), 401, "unauthenticated");
        assertProblem(platform.get("/status", bearer("updraft_notatoken")), 401, "bad-token");
        assertProblem(platform.get("/status", "Basic " + java.util.Base64.getEncoder()
                .encodeToString("alice:wrong".getBytes())), 401, "bad-credentials");
        assertProblem(platform.get("/status", "Digest x"), 401, "unauthenticated");
        // a Karaf user with none of the mapped roles
        assertProblem(platform.get("/status", basic("nora")), 403, "no-role");
        HttpResponse<byte[]> status = platform.get("/status", basic("vera"));
        assertEquals(200, status.statusCode(), new String(status.body()));
        assertTrue(json(status).get("ledger").get("running").asBoolean());
        assertProblem(platform.get("/no-such-thing", basic("vera")), 404, "not-found");
    }

    @Test
    void aRevokedTokenIsRefusedAndTheFileKeepsNoToken() throws Exception {
        String token = platform.tokens.create("temp", Role.OPERATOR);
        assertEquals(200, platform.get("/status", bearer(token)).statusCode());
        String file = Files.readString(platform.tokens.file());
        assertFalse(file.contains(token.substring(ApiTokens.PREFIX.length())), file);
        assertTrue(file.contains("temp = operator "), file);
        assertTrue(platform.tokens.revoke("temp"));
        assertProblem(platform.get("/status", bearer(token)), 401, "bad-token");
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        String fresh = platform.tokens.create("week", Role.VIEWER, java.time.Instant.now().plusSeconds(3600));
        assertEquals(200, platform.get("/status", bearer(fresh)).statusCode());
        String stale = platform.tokens.create("stale", Role.ADMIN, java.time.Instant.now().minusSeconds(1));
        assertProblem(platform.get("/status", bearer(stale)), 401, "expired-token");
    }

    @Test
    void malformedInputIsRefusedAndNothingIsWritten() throws Exception {
        long ledger = platform.ledger.size();
        long devices = platform.registry.count(org.updraft.api.device.DeviceFilter.ALL);
        assertProblem(platform.send("POST", "/devices", bearer(operator), "{\"id\":\"x\","), 400, "malformed-json");
        assertProblem(platform.send("POST", "/devices", bearer(operator), "[1,2]"), 400, "malformed-json");
        assertProblem(platform.send("POST", "/devices", bearer(operator), "{\"id\":\"x\"} {}"), 400,
                "malformed-json");
        assertProblem(platform.send("POST", "/devices", bearer(operator), "{\"id\":\"bad id!\",\"key\":\""
                + SigningKey.generate(KeyAlgorithm.ED25519).did() + "\",\"vendor\":\"acme\",\"class\":\"camera\"}"),
                400, "invalid");
        assertProblem(platform.send("POST", "/devices", bearer(operator), "{\"id\":\"d1\",\"key\":7}"), 400,
                "invalid");
        assertProblem(platform.send("POST", "/rollouts", bearer(operator), "{\"release\":\"acme/camera/1\","
                + "\"waves\":[{\"name\":\"w\",\"selector\":\"galaxy:far\"}]}"), 400, "invalid");
        assertProblem(platform.send("POST", "/rollouts", bearer(operator), "{\"release\":\"acme/nothing/9\","
                + "\"waves\":[{\"name\":\"w\",\"selector\":\"percent:10\"}]}"), 404, "unknown-release");
        assertProblem(platform.send("POST", "/rollouts/nope/pause", bearer(operator), null), 404, "unknown-rollout");
        // a release whose image is not the one its manifest signs: the platform's reason code
        RestTestPlatform.Signed signed = platform.sign(50, 1000);
        byte[] tampered = signed.image().clone();
        tampered[10] ^= 1;
        assertProblem(platform.publish(bearer(operator), new RestTestPlatform.Signed(signed.manifest(), tampered)),
                422, "digest-mismatch");
        assertEquals(ledger, platform.ledger.size());
        assertEquals(devices, platform.registry.count(org.updraft.api.device.DeviceFilter.ALL));
    }

    @Test
    void devicesArePagedWithACursorAndFiltered() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals(201, platform.send("POST", "/devices", bearer(operator), "{\"id\":\"page-" + i
                    + "\",\"key\":\"" + SigningKey.generate(KeyAlgorithm.ED25519).did()
                    + "\",\"vendor\":\"acme\",\"class\":\"meter\",\"region\":\"" + (i % 2 == 0 ? "us" : "ap")
                    + "\",\"tags\":[\"paging\"]}").statusCode());
        }
        List<String> seen = new ArrayList<>();
        String cursor = "";
        do {
            JsonNode page = json(platform.get("/devices?class=meter&limit=2&cursor=" + cursor, bearer(viewer)));
            page.get("devices").forEach(d -> seen.add(d.get("id").asText()));
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
        } while (cursor != null);
        assertEquals(List.of("page-0", "page-1", "page-2", "page-3", "page-4"), seen);
        JsonNode us = json(platform.get("/devices?class=meter&region=us&tags=paging", bearer(viewer)));
        assertEquals(3, us.get("devices").size());

        HttpResponse<byte[]> replaced = platform.send("PUT", "/devices/page-4", bearer(operator), "{\"key\":\""
                + SigningKey.generate(KeyAlgorithm.ED25519).did() + "\",\"vendor\":\"acme\",\"class\":\"meter\","
                + "\"region\":\"us\"}");
        assertEquals(200, replaced.statusCode(), new String(replaced.body()));
        assertEquals("us", json(platform.get("/devices/page-4", bearer(viewer))).get("region").asText());
        assertProblem(platform.send("DELETE", "/devices/page-3", bearer(viewer), null), 403, "role-too-low");
        assertEquals(204, platform.send("DELETE", "/devices/page-3", bearer(operator), null).statusCode());
        assertProblem(platform.get("/devices/page-3", bearer(viewer)), 404, "unknown-device");
    }

    @Test
    void aMissingBackendIs503NamingItsFeatureAndServedAgainOnceBack() throws Exception {
        platform.api.unbindRegistry(platform.registry);
        try {
            HttpResponse<byte[]> missing = platform.get("/devices", bearer(viewer));
            assertProblem(missing, 503, "unavailable");
            assertTrue(new String(missing.body()).contains("updraft-registry-jdbc"));
            // the rest of the platform still answers, and says what is missing
            HttpResponse<byte[]> status = platform.get("/status", bearer(viewer));
            assertEquals(200, status.statusCode());
            assertFalse(json(status).get("registry").get("running").asBoolean());
        } finally {
            platform.api.bindRegistry(platform.registry);
        }
        assertEquals(200, platform.get("/devices", bearer(viewer)).statusCode());
    }

    @Test
    void getsCarryAnEtagAndAnswer304ToIfNoneMatch() throws Exception {
        HttpResponse<byte[]> first = platform.get("/trust", bearer(viewer));
        String etag = first.headers().firstValue("ETag").orElseThrow();
        HttpResponse<byte[]> again = platform.get("/trust", bearer(viewer), "If-None-Match", etag);
        assertEquals(304, again.statusCode());
        assertEquals(0, again.body().length);
        HttpResponse<byte[]> other = platform.get("/trust", bearer(viewer), "If-None-Match", "\"something-else\"");
        assertEquals(200, other.statusCode());
    }

    static void assertProblem(HttpResponse<byte[]> response, int status, String code) throws Exception {
        String body = new String(response.body());
        assertEquals(status, response.statusCode(), body);
        assertEquals(ApiProblem.MEDIA_TYPE, response.headers().firstValue("Content-Type").orElse("").split(";")[0],
                body);
        JsonNode problem = json(response);
        assertEquals(code, problem.get("code").asText(), body);
        assertEquals(status, problem.get("status").asInt());
        assertEquals("urn:updraft:problem:" + code, problem.get("type").asText());
        assertNotNull(problem.get("detail"));
    }
}
