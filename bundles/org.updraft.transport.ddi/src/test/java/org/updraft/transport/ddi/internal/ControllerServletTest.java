package org.updraft.transport.ddi.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.json.JsonReader;
import org.updraft.core.update.DeviceReport;

/** The DDI controller API over real HTTP, against a platform of real components. */
class ControllerServletTest {

    private static final String BASE = "/DEFAULT/controller/v1/";
    private static final String[] AUTH = {"Authorization", "TargetToken secret-of-cam1"};

    @TempDir
    Path dir;
    private DdiTestPlatform platform;
    private byte[] image;
    private Release release;
    private Rollout rollout;

    @BeforeEach
    void start() throws Exception {
        platform = new DdiTestPlatform(dir, Map.of("cam1", "secret-of-cam1", "cam2", "secret-of-cam2"), "gw-secret",
                Map.of("polling.sleep", "00:01:30", "max.requests.per.second", 1000));
        image = new byte[300_000];
        new Random(7).nextBytes(image);
        release = platform.publish(image, 5);
        platform.register("cam1", platform.transport.deviceKey("cam1"));
        platform.register("cam2", platform.transport.deviceKey("cam2"));
        rollout = platform.rollout(release);
    }

    @AfterEach
    void stop() throws Exception {
        platform.close();
    }

    private static Map<String, Object> json(HttpResponse<byte[]> r) {
        return JsonReader.object(JsonReader.parse(r.body()), "answer");
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object root, String... path) {
        Object v = root;
        for (String p : path) {
            v = p.matches("\\d+") ? ((List<Object>) v).get(Integer.parseInt(p)) : ((Map<String, Object>) v).get(p);
        }
        return (T) v;
    }

    private static String local(String href) {
        return href.substring(href.indexOf(BASE));
    }

    @Test
    void refusesRequestsWithoutTheDevicesTokenAndCountsThem() throws Exception {
        HttpResponse<byte[]> none = platform.get(BASE + "cam1");
        assertEquals(401, none.statusCode());
        assertEquals("TargetToken", none.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertEquals("application/problem+json", none.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(new String(none.body(), StandardCharsets.UTF_8).contains("no Authorization header"));
        assertEquals(401, platform.get(BASE + "cam1", "Authorization", "TargetToken wrong").statusCode());
        // another device's token
        assertEquals(401, platform.get(BASE + "cam1", "Authorization", "TargetToken secret-of-cam2").statusCode());
        assertEquals(401, platform.get(BASE + "cam1", "Authorization", "GatewayToken wrong").statusCode());
        assertEquals(401, platform.get(BASE + "cam1", "Authorization", "Basic YTpi").statusCode());
        assertEquals(5, platform.transport.servlet().unauthorized());
        assertTrue(platform.transport.status().contains("unauthorized 5"), platform.transport.status());
        // the tenant's gateway token acts for every device
        assertEquals(200, platform.get(BASE + "cam1", "Authorization", "GatewayToken gw-secret").statusCode());
        // an unregistered device with a valid gateway token
        assertEquals(404, platform.get(BASE + "cam9", "Authorization", "GatewayToken gw-secret").statusCode());
    }

    @Test
    void anEditedTokenFileAppliesWithinSeconds() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("ddi-tokens.properties"), "cam1=rotated-secret\n");
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        do {
            Thread.sleep(200);
            status = platform.get(BASE + "cam1", "Authorization", "TargetToken rotated-secret").statusCode();
        } while (status != 200 && System.nanoTime() < deadline);
        assertEquals(200, status);
        assertEquals(401, platform.get(BASE + "cam1", AUTH).statusCode());
        assertEquals(401, platform.get(BASE + "cam2", "Authorization", "TargetToken secret-of-cam2").statusCode());
    }

    @Test
    void aTokenBeyondItsRateIsAnswered429() throws Exception {
        try (DdiTestPlatform limited = new DdiTestPlatform(dir.resolve("limited"), Map.of("cam1", "secret-of-cam1"),
                null, Map.of("max.requests.per.second", 2))) {
            limited.register("cam1", limited.transport.deviceKey("cam1"));
            int refused = 0;
            HttpResponse<byte[]> last = null;
            for (int i = 0; i < 5; i++) {
                HttpResponse<byte[]> r = limited.get(BASE + "cam1", AUTH);
                if (r.statusCode() == 429) {
                    refused++;
                    last = r;
                }
            }
            // 5 requests cross at most one second boundary: at most 4 fit
            assertTrue(refused >= 1, "no 429 for 5 requests at 2 a second");
            assertEquals("1", last.headers().firstValue("Retry-After").orElseThrow());
            assertEquals("rate-limited", at(json(last), "title"));
        }
    }

    @Test
    void basePollShowsTheRolloutAsAnActionWithAnEtag() throws Exception {
        HttpResponse<byte[]> poll = platform.get(BASE + "cam1", AUTH);
        assertEquals(200, poll.statusCode());
        Map<String, Object> body = json(poll);
        assertEquals("00:01:30", at(body, "config", "polling", "sleep"));
        String href = at(body, "_links", "deploymentBase", "href");
        long action = Actions.actionId(rollout.id());
        assertTrue(href.startsWith(platform.url(BASE + "cam1/deploymentBase/" + action + "?c=")), href);
        String etag = poll.headers().firstValue("ETag").orElseThrow();
        HttpResponse<byte[]> again = platform.get(BASE + "cam1", "Authorization", "TargetToken secret-of-cam1",
                "If-None-Match", etag);
        assertEquals(304, again.statusCode());
        assertEquals(0, again.body().length);
        assertEquals(200, platform.get(BASE + "cam1", "Authorization", "TargetToken secret-of-cam1",
                "If-None-Match", "\"other\"").statusCode());
    }

    @Test
    void deploymentNamesTheImageWithHawkbitsHashesAndServesRanges() throws Exception {
        String href = at(json(platform.get(BASE + "cam1", AUTH)), "_links", "deploymentBase", "href");
        HttpResponse<byte[]> dep = platform.get(local(href), AUTH);
        assertEquals(200, dep.statusCode());
        Map<String, Object> body = json(dep);
        assertEquals(Long.toString(Actions.actionId(rollout.id())), body.get("id"));
        assertEquals("forced", at(body, "deployment", "update"));
        assertEquals("2.0.5", at(body, "deployment", "chunks", "0", "version"));
        List<Object> artifacts = at(body, "deployment", "chunks", "0", "artifacts");
        assertEquals(3, artifacts.size());
        Map<String, Object> first = at(artifacts, "0");
        assertEquals("acme-camera-2.0.5.bin", first.get("filename"));
        assertEquals((long) image.length, first.get("size"));
        assertEquals(hex("SHA-1", image), at(first, "hashes", "sha1"));
        assertEquals(hex("MD5", image), at(first, "hashes", "md5"));
        assertEquals(hex("SHA-256", image), at(first, "hashes", "sha256"));
        String download = local(at(first, "_links", "download-http", "href"));
        assertEquals((Object) at(first, "_links", "download", "href"),
                (Object) at(first, "_links", "download-http", "href"));

        HttpResponse<byte[]> whole = platform.get(download, AUTH);
        assertEquals(200, whole.statusCode());
        assertArrayEquals(image, whole.body());
        HttpResponse<byte[]> part = platform.get(download, "Authorization", "TargetToken secret-of-cam1", "Range",
                "bytes=1000-1999");
        assertEquals(206, part.statusCode());
        assertEquals("bytes 1000-1999/300000", part.headers().firstValue("Content-Range").orElseThrow());
        assertArrayEquals(Arrays.copyOfRange(image, 1000, 2000), part.body());
        HttpResponse<byte[]> tail = platform.get(download, "Authorization", "TargetToken secret-of-cam1", "Range",
                "bytes=299990-");
        assertArrayEquals(Arrays.copyOfRange(image, 299_990, 300_000), tail.body());
        assertEquals(416, platform.get(download, "Authorization", "TargetToken secret-of-cam1", "Range",
                "bytes=300000-").statusCode());

        // the signed manifest and the CoAP offer, whose hashes the deployment names
        for (Object a : artifacts.subList(1, 3)) {
            HttpResponse<byte[]> got = platform.get(local(at(a, "_links", "download", "href")), AUTH);
            assertEquals(200, got.statusCode());
            assertEquals(hex("SHA-256", got.body()), at(a, "hashes", "sha256"), at(a, "filename").toString());
        }
        assertArrayEquals(release.manifest(), platform.get(local(at(artifacts, "1", "_links", "download", "href")),
                AUTH).body());
        // another device cannot read this device's action with its own token
        assertEquals(401, platform.get(download, "Authorization", "TargetToken secret-of-cam2").statusCode());
    }

    @Test
    void feedbackBecomesSignedReportsOnTheLedgerAndMovesTheRollout() throws Exception {
        long action = Actions.actionId(rollout.id());
        String feedback = BASE + "cam1/deploymentBase/" + action + "/feedback";
        platform.get(BASE + "cam1", AUTH);
        long before = platform.ledger.size();
        // unknown and legacy fields are ignored
        HttpResponse<byte[]> proceeding = platform.send("POST", feedback, "{\"id\":\"" + action + "\",\"time\":"
                + "\"20260101T000000\",\"legacy\":{\"x\":1},\"status\":{\"execution\":\"proceeding\",\"result\":"
                + "{\"finished\":\"none\",\"progress\":{\"cnt\":0,\"of\":0}},\"details\":[\"Installing\"]}}", AUTH);
        assertEquals(200, proceeding.statusCode(), new String(proceeding.body(), StandardCharsets.UTF_8));
        // the same step again makes no second report
        assertEquals(200, platform.send("POST", feedback, "{\"status\":{\"execution\":\"proceeding\"}}", AUTH)
                .statusCode());
        HttpResponse<byte[]> closed = platform.send("POST", feedback, "{\"id\":\"" + action + "\",\"status\":"
                + "{\"execution\":\"closed\",\"result\":{\"finished\":\"success\"},\"details\":[\"done\"]}}", AUTH);
        assertEquals(200, closed.statusCode(), new String(closed.body(), StandardCharsets.UTF_8));

        List<LedgerEntry> added = platform.ledger.read(before, 10);
        List<DeviceReport> reports = added.stream().filter(e -> e.event().type().equals(EventTypes.DEVICE_REPORTED))
                .map(e -> {
                    try {
                        assertEquals(platform.transport.deviceKey("cam1"), e.event().actor());
                        return DeviceEvents.decodeReported(e.event().payload()).report();
                    } catch (Exception ex) {
                        throw new AssertionError(ex);
                    }
                }).toList();
        assertEquals(List.of(DeviceState.DOWNLOADING, DeviceState.INSTALLED),
                reports.stream().map(DeviceReport::state).toList());
        String token = "TargetToken sha256:" + Tokens.fingerprint("secret-of-cam1".getBytes(StandardCharsets.UTF_8));
        assertEquals("(ddi " + token + ")", reports.get(1).reason());
        assertEquals(5, reports.get(1).installedSequence());
        assertEquals(5, platform.registry.find("cam1").orElseThrow().installedSequence());
        WaveProgress wave = platform.rollouts.progress(rollout.id()).waves().get(0);
        assertEquals(1, wave.installed());
        // the device now runs the release: nothing to install, its installed action is shown
        Map<String, Object> poll = json(platform.get(BASE + "cam1", AUTH));
        assertNull((Object) at(poll, "_links", "deploymentBase"));
        String installed = at(poll, "_links", "installedBase", "href");
        assertEquals(200, platform.get(local(installed), AUTH).statusCode());
    }

    @Test
    void badFeedbackIsRefusedClearlyAndWritesNothing() throws Exception {
        long action = Actions.actionId(rollout.id());
        String feedback = BASE + "cam1/deploymentBase/" + action + "/feedback";
        platform.get(BASE + "cam1", AUTH);
        long before = platform.ledger.size();
        HttpResponse<byte[]> broken = platform.send("POST", feedback, "{\"status\": {\"execution\": ", AUTH);
        assertEquals(400, broken.statusCode());
        String detail = at(json(broken), "detail");
        assertTrue(detail.startsWith("bad feedback: "), detail);
        HttpResponse<byte[]> noResult = platform.send("POST", feedback, "{\"status\":{\"execution\":\"closed\"}}",
                AUTH);
        assertEquals(400, noResult.statusCode());
        assertTrue(at(json(noResult), "detail").toString().contains("success or failure"));
        assertEquals(400, platform.send("POST", feedback, "{\"status\":{\"execution\":\"exploded\"}}", AUTH)
                .statusCode());
        assertEquals(413, platform.send("POST", feedback, "{\"status\":{\"execution\":\"closed\",\"details\":[\""
                + "x".repeat(70_000) + "\"]}}", AUTH).statusCode());
        assertEquals(404, platform.send("POST", BASE + "cam1/deploymentBase/12345/feedback",
                "{\"status\":{\"execution\":\"proceeding\"}}", AUTH).statusCode());
        assertEquals(405, platform.send("DELETE", BASE + "cam1", "", AUTH).statusCode());
        assertEquals(before, platform.ledger.size());
    }

    @Test
    void aFailureNamesTheDevicesDetails() throws Exception {
        long action = Actions.actionId(rollout.id());
        platform.get(BASE + "cam1", AUTH);
        long before = platform.ledger.size();
        assertEquals(200, platform.send("POST", BASE + "cam1/deploymentBase/" + action + "/feedback",
                "{\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":\"failure\"},\"details\":"
                        + "[\"Image invalid or corrupted\"]}}", AUTH).statusCode());
        DeviceReport report = DeviceEvents.decodeReported(platform.ledger.read(before, 1).get(0).event().payload())
                .report();
        assertEquals(DeviceState.FAILED, report.state());
        assertTrue(report.reason().startsWith("ddi-failure: Image invalid or corrupted (ddi TargetToken sha256:"),
                report.reason());
        assertEquals(1, report.installedSequence());
    }

    @Test
    void aDeviceWithAKeyOfItsOwnIsNotSpokenFor() throws Exception {
        platform.register("cam3", SigningKey.generate(KeyAlgorithm.ED25519).did());
        long action = Actions.actionId(rollout.id());
        assertEquals(200, platform.get(BASE + "cam3", "Authorization", "GatewayToken gw-secret").statusCode());
        long before = platform.ledger.size();
        HttpResponse<byte[]> r = platform.send("POST", BASE + "cam3/deploymentBase/" + action + "/feedback",
                "{\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":\"success\"}}}", "Authorization",
                "GatewayToken gw-secret");
        assertEquals(403, r.statusCode());
        assertEquals(before, platform.ledger.size());
    }

    @Test
    void aCancelledRolloutIsACancelAction() throws Exception {
        long action = Actions.actionId(rollout.id());
        platform.get(BASE + "cam1", AUTH);
        platform.rollouts.cancel(rollout.id(), "test", "wrong image");
        Map<String, Object> poll = json(platform.get(BASE + "cam1", AUTH));
        String cancel = at(poll, "_links", "cancelAction", "href");
        Map<String, Object> body = json(platform.get(local(cancel), AUTH));
        assertEquals(Long.toString(action), at(body, "cancelAction", "stopId"));
        assertEquals(200, platform.send("POST", local(cancel) + "/feedback",
                "{\"id\":" + action + ",\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":\"success\"}}}",
                AUTH).statusCode());
        assertNull((Object) at(json(platform.get(BASE + "cam1", AUTH)), "_links", "cancelAction"));
    }

    @Test
    void configDataIsCheckedAndKept() throws Exception {
        assertEquals(200, platform.send("PUT", BASE + "cam1/configData",
                "{\"mode\":\"merge\",\"data\":{\"hwRevision\":\"2\",\"serial\":\"A1\"},\"status\":{}}", AUTH)
                .statusCode());
        assertEquals(200, platform.send("PUT", BASE + "cam1/configData",
                "{\"mode\":\"remove\",\"data\":{\"serial\":\"\"}}", AUTH).statusCode());
        assertEquals(Map.of("hwRevision", "2"), platform.transport.servlet().configData("cam1"));
        assertEquals(400, platform.send("PUT", BASE + "cam1/configData", "{\"data\":{\"n\":1}}", AUTH)
                .statusCode());
        assertEquals(Map.of("hwRevision", "2"), platform.transport.servlet().configData("cam1"));
    }

    @Test
    void hashesAreNamedOnlyForTheImageTheManifestSigns() throws Exception {
        ImageDigests digests = new ImageDigests();
        assertEquals(hex("SHA-256", image), digests.of(release, platform.store).sha256());
        // a release whose manifest states another SHA-256 than the stored bytes have (a store that lies)
        byte[] other = release.sha256();
        other[0] ^= 1;
        Release lying = new Release(release.id(), release.vendor(), release.deviceClass(), release.profile(),
                release.version(), release.sequence(), release.size(), other, release.cid(), release.signer(),
                release.created(), release.published(), release.ledgerIndex(), release.manifest());
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> new ImageDigests().of(lying, platform.store));
        assertTrue(e.getMessage().contains("is not the image its manifest signs"), e.getMessage());
    }

    private static String hex(String algorithm, byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
    }
}
