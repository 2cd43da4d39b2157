package org.updraft.rest.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.rest.internal.RestTestPlatform.basic;
import static org.updraft.rest.internal.RestTestPlatform.bearer;
import static org.updraft.rest.internal.RestTestPlatform.json;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The calls the web console needs beyond the shell's: the fleet counted per class, version, region and state; a
 * device's history read from the ledger, its reports checked against its key; and who the caller is. On a platform of
 * its own, so that the counts are exactly the devices registered here.
 */
class ConsoleEndpointsTest {

    @TempDir
    static Path dir;

    static RestTestPlatform platform;
    static String viewer;

    @BeforeAll
    static void start() throws Exception {
        platform = new RestTestPlatform(dir, 1000);
        viewer = platform.tokens.create("wall", Role.VIEWER);
    }

    @AfterAll
    static void stop() throws Exception {
        platform.close();
    }

    @Test
    void theFleetIsCountedPerClassVersionRegionAndState() throws Exception {
        // more than one registry page, so that the count goes on past the first
        int cameras = FleetResource.PAGE + 7;
        List<org.updraft.api.device.Device> fleet = new ArrayList<>();
        Instant now = Instant.now();
        for (int i = 0; i < cameras; i++) {
            fleet.add(device("cam-" + i, "camera", i % 3 == 0 ? "eu" : "us", i % 2 == 0 ? "1.0.0" : "2.0.0"));
        }
        fleet.add(device("meter-1", "meter", null, "1.0.0"));
        platform.registry.registerAll(fleet);
        platform.registry.recordState("cam-1", DeviceState.INSTALLED, "2.0.0", 2, now);
        platform.registry.recordState("cam-2", DeviceState.FAILED, "1.0.0", 1, now);

        HttpResponse<byte[]> answer = platform.get("/fleet", bearer(viewer));
        assertEquals(200, answer.statusCode(), new String(answer.body()));
        JsonNode counts = json(answer);
        assertEquals(cameras + 1, counts.get("devices").asLong());
        assertEquals(cameras, counts.get("classes").get("camera").asLong());
        assertEquals(1, counts.get("classes").get("meter").asLong());
        assertEquals((cameras + 2) / 3, counts.get("regions").get("eu").asLong());
        assertEquals(cameras - (cameras + 2) / 3, counts.get("regions").get("us").asLong());
        assertEquals(1, counts.get("regions").get("").asLong(), "the device without region");
        assertEquals(1, counts.get("states").get("installed").asLong());
        assertEquals(1, counts.get("states").get("failed").asLong());
        assertEquals(cameras - 1, counts.get("states").get("idle").asLong());
        List<String> versions = new ArrayList<>();
        counts.get("versions").forEach(v -> versions.add(v.get("class").asText() + " " + v.get("version").asText()
                + " " + v.get("devices").asLong()));
        assertEquals(List.of("camera 1.0.0 " + (cameras + 1) / 2, "camera 2.0.0 " + cameras / 2, "meter 1.0.0 1"),
                versions);
        assertProblem(platform.get("/fleet", null), 401, "unauthenticated");
    }

    @Test
    void aDeviceHistoryIsItsOffersEnrollmentAndSignedReportsFromTheLedgerNewestFirst() throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey other = SigningKey.generate(KeyAlgorithm.ED25519);
        org.updraft.api.device.Device hist = new org.updraft.api.device.Device("hist-1", key.did(), "acme", "camera",
                null, java.util.Set.of(), "eu", "1.0.0", 1, DeviceState.IDLE, null, Instant.now());
        platform.registry.register(hist);
        offer("r-1", "hist-1");
        offer("r-1", "hist-2");
        report(key, "hist-1", DeviceState.DOWNLOADING, null, 1);
        report(SigningKey.generate(KeyAlgorithm.ED25519), "hist-2", DeviceState.INSTALLED, null, 1);
        // a report naming hist-1 that its key did not sign: shown, and shown as not verified
        report(other, "hist-1", DeviceState.FAILED, "forged", 2);
        report(key, "hist-1", DeviceState.INSTALLED, null, 3);

        HttpResponse<byte[]> answer = platform.get("/devices/hist-1/history", basic("vera"));
        assertEquals(200, answer.statusCode(), new String(answer.body()));
        JsonNode h = json(answer);
        assertTrue(h.get("registered").asBoolean());
        List<String> lines = new ArrayList<>();
        h.get("events").forEach(e -> lines.add(e.get("type").asText() + " " + e.path("deviceState").asText("-") + " "
                + e.path("verified").asText("-") + " " + e.get("rollout").asText()));
        assertEquals(List.of("device.reported installed true r-1", "device.reported failed false r-1",
                "device.reported downloading true r-1", "rollout.offered - - r-1"), lines);
        assertTrue(h.get("next").isNull(), "the whole ledger was read");

        // paged: two at a time, going on from next
        JsonNode first = json(platform.get("/devices/hist-1/history?limit=2", bearer(viewer)));
        assertEquals(2, first.get("events").size());
        long next = first.get("next").asLong();
        assertEquals(first.get("events").get(1).get("index").asLong(), next);
        JsonNode second = json(platform.get("/devices/hist-1/history?limit=2&before=" + next, bearer(viewer)));
        assertEquals("device.reported", second.get("events").get(0).get("type").asText());
        assertEquals("downloading", second.get("events").get(0).get("deviceState").asText());
        assertEquals("rollout.offered", second.get("events").get(1).get("type").asText());

        // removed from the registry, the device keeps its history; reports are no longer checked against a key
        platform.registry.remove("hist-1");
        JsonNode removed = json(platform.get("/devices/hist-1/history", bearer(viewer)));
        assertFalse(removed.get("registered").asBoolean());
        assertEquals(4, removed.get("events").size());
        assertTrue(removed.get("events").get(0).get("verified").isNull());
        assertEquals(0, json(platform.get("/devices/nobody/history", bearer(viewer))).get("events").size());
        assertProblem(platform.get("/devices/hist-1/history?before=-1", bearer(viewer)), 400, "invalid");
    }

    @Test
    void theCallerIsNamedWithItsRole() throws Exception {
        JsonNode token = json(platform.get("/caller", bearer(viewer)));
        assertEquals("wall", token.get("name").asText());
        assertEquals("viewer", token.get("role").asText());
        assertTrue(token.get("token").asBoolean());
        assertEquals("token:wall", token.get("actor").asText());
        JsonNode user = json(platform.get("/caller", basic("olga")));
        assertEquals("operator", user.get("role").asText());
        assertEquals("operator:olga", user.get("actor").asText());
        assertEquals("admin", json(platform.get("/caller", basic("alice"))).get("role").asText());
        assertProblem(platform.get("/caller", null), 401, "unauthenticated");
    }

    private static org.updraft.api.device.Device device(String id, String deviceClass, String region, String version) {
        return new org.updraft.api.device.Device(id, SigningKey.generate(KeyAlgorithm.ED25519).did(), "acme",
                deviceClass, null, java.util.Set.of(), region, version, version.startsWith("2") ? 2 : 1,
                DeviceState.IDLE, null, Instant.now());
    }

    private static void offer(String rollout, String device) throws Exception {
        platform.ledger.append(new LedgerEvent(EventTypes.ROLLOUT_OFFERED, Instant.now(), platform.ledger.logKey(),
                RolloutEvents.offered(new RolloutEvents.Offered(rollout, device, "acme/camera/2", 0)), null));
    }

    private static void report(SigningKey signer, String device, DeviceState state, String reason, long counter)
            throws Exception {
        DeviceReport r = new DeviceReport(device, "r-1", "acme/camera/2", state, reason, "2.0.0", 2,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), counter);
        platform.ledger.append(new LedgerEvent(EventTypes.DEVICE_REPORTED, Instant.now(), signer.did(),
                DeviceReports.sign(r, signer), null));
    }

    private static void assertProblem(HttpResponse<byte[]> response, int status, String code) throws Exception {
        assertEquals(status, response.statusCode(), new String(response.body()));
        assertEquals(code, json(response).get("code").asText());
    }
}
