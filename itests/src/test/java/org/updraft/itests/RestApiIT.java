package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.json.JsonReader;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.unixfs.UnixFsImporter;

/**
 * The REST API in the distribution: feature updraft-rest installs from system/ (Aries JAX-RS Whiteboard on CXF), its
 * application answers at /api/v1 on Pax Web's port. Tokens made with updraft:token-create, one per role, and users of
 * Karaf's realm with HTTP Basic: a release published, devices added, a rollout started, paused and the ledger verified
 * through HTTP; each role's refusals; a revoked token refused.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RestApiIT extends UpdraftTestSupport {

    private static final String PASSWORD = "s3cret-pass";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @Override
    protected Option[] additionalOptions() {
        return new Option[] {
            editConfigurationFilePut("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port",
                    Integer.toString(freePort())),
            // Karaf's realm: the same users.properties as SSH logins
            editConfigurationFilePut("etc/users.properties", "alice", PASSWORD + ",_g_:admingroup"),
            editConfigurationFilePut("etc/users.properties", "olga", PASSWORD + ",manager"),
            editConfigurationFilePut("etc/users.properties", "vera", PASSWORD + ",viewer"),
        };
    }

    @Test
    public void publishRollOutPauseAndVerifyThroughHttp() throws Exception {
        installFeatures("updraft-rest");
        try {
            Configuration web = configurationAdmin.getConfiguration("org.ops4j.pax.web", null);
            assertEquals("the distribution binds HTTP to the loopback address", "127.0.0.1",
                    web.getProperties().get("org.ops4j.pax.web.listening.addresses"));
            base = "http://127.0.0.1:" + web.getProperties().get("org.osgi.service.http.port") + "/api/v1";
            String viewer = token("dash", "viewer");
            String operator = token("ci", "operator");
            String admin = token("root", "admin");
            HttpResponse<String>[] last = new HttpResponse[1];
            await("GET /api/v1/status with a viewer token", Duration.ofSeconds(60), () -> {
                try {
                    last[0] = get("/status", bearer(viewer));
                    return last[0].statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            }, () -> componentReport() + "\nlast answer: " + (last[0] == null ? "none"
                    : last[0].statusCode() + " " + last[0].body()));

            assertProblem(get("/status", null), 401, "unauthenticated");
            assertProblem(get("/status", bearer("updraft_forged")), 401, "bad-token");
            assertProblem(get("/status", basic("olga", "wrong")), 401, "bad-credentials");

            SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
            String trust = "{\"did\":\"" + vendor.did() + "\",\"vendor\":\"acme\"}";
            assertProblem(send("POST", "/trust", bearer(operator), trust), 403, "role-too-low");
            assertEquals(201, send("POST", "/trust", bearer(admin), trust).statusCode());

            byte[] image = new byte[200_000];
            new Random(3).nextBytes(image);
            Manifest m = new Manifest("acme", "camera", null, "2.0.0", 2, image.length,
                    MessageDigest.getInstance("SHA-256").digest(image),
                    UnixFsImporter.cid(new ByteArrayInputStream(image), CidOptions.DEFAULT).cid(), null, Instant.now(),
                    vendor.did());
            byte[] manifest = ManifestCodec.sign(m, vendor);
            long ledgerBefore = ledgerSize(viewer);
            assertProblem(publish(bearer(viewer), manifest, image), 403, "role-too-low");
            assertEquals(ledgerBefore, ledgerSize(viewer));
            HttpResponse<String> published = publish(bearer(operator), manifest, image);
            assertEquals(published.body(), 201, published.statusCode());

            for (String id : List.of("rest-it-1", "rest-it-2")) {
                HttpResponse<String> added = send("POST", "/devices", basic("olga", PASSWORD), "{\"id\":\"" + id
                        + "\",\"key\":\"" + SigningKey.generate(KeyAlgorithm.ED25519).did()
                        + "\",\"vendor\":\"acme\",\"class\":\"camera\",\"version\":\"1.0.0\",\"sequence\":1}");
                assertEquals(added.body(), 201, added.statusCode());
            }
            HttpResponse<String> created = send("POST", "/rollouts", bearer(operator), "{\"release\":\"acme/camera/2\","
                    + "\"waves\":[{\"name\":\"all\",\"selector\":\"percent:100\",\"success\":100}],\"start\":true}");
            assertEquals(created.body(), 201, created.statusCode());
            String rollout = (String) object(created).get("id");
            assertProblem(send("POST", "/rollouts/" + rollout + "/pause", bearer(viewer), null), 403, "role-too-low");
            HttpResponse<String> paused = send("POST", "/rollouts/" + rollout + "/pause", basic("olga", PASSWORD),
                    "{\"reason\":\"rest-it\"}");
            assertEquals(paused.body(), 200, paused.statusCode());
            assertEquals("paused", object(paused).get("state"));
            assertEquals(200, get("/rollouts/" + rollout + "/progress", bearer(viewer)).statusCode());

            List<String> events = new ArrayList<>();
            for (Object e : (List<?>) object(get("/ledger/events?limit=50", basic("vera", PASSWORD))).get("events")) {
                Map<?, ?> event = (Map<?, ?>) e;
                events.add(event.get("type") + " " + event.get("state") + " by " + event.get("by"));
            }
            assertTrue(events.toString(), events.contains("release.published null by token:ci"));
            assertTrue(events.toString(), events.contains("rollout.changed running by token:ci"));
            assertTrue(events.toString(), events.contains("rollout.changed paused by operator:olga"));
            assertTrue(events.toString(), events.contains("trust.key-registered null by token:root"));

            HttpResponse<String> verified = get("/ledger/verify", bearer(viewer));
            assertEquals(verified.body(), 200, verified.statusCode());
            assertEquals(Boolean.TRUE, object(verified).get("consistent"));
            assertEquals(200, get("/openapi.json", bearer(viewer)).statusCode());

            // a changed setting applies at the next request and never takes the API off the whiteboard: a caller
            // polling all along gets no 404 (the application had the configuration once, and each change deployed it
            // again)
            List<Integer> answers = new ArrayList<>();
            Thread poller = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        int code = get("/status", bearer(admin)).statusCode();
                        synchronized (answers) {
                            answers.add(code);
                        }
                        Thread.sleep(50); // within the token's rate limit
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        synchronized (answers) {
                            answers.add(-1);
                        }
                    }
                }
            }, "rest-it-poller");
            poller.start();
            try {
                assertEquals(200, get("/devices?limit=8", bearer(viewer)).statusCode());
                Configuration rest = configurationAdmin.getConfiguration("org.updraft.rest", null);
                java.util.Dictionary<String, Object> props = rest.getProperties();
                props.put("max.page", "7");
                rest.update(props);
                HttpResponse<String>[] limited = new HttpResponse[1];
                await("max.page 7 to apply", Duration.ofSeconds(30), () -> {
                    try {
                        limited[0] = get("/devices?limit=8", bearer(viewer));
                        return limited[0].statusCode() == 400;
                    } catch (Exception e) {
                        return false;
                    }
                }, () -> "last answer: " + limited[0].statusCode() + " " + limited[0].body());
                Thread.sleep(1000); // a redeployment would come within this second
            } finally {
                poller.interrupt();
                poller.join(10_000);
            }
            synchronized (answers) {
                assertTrue("polled during the change, answers by status: " + answers.stream().collect(
                        java.util.stream.Collectors.groupingBy(code -> code, java.util.stream.Collectors.counting())),
                        answers.size() > 5 && answers.stream().allMatch(code -> code == 200));
            }

            // the API is a named application at /api/v1: the whiteboard's default application does not shadow the
            // DDI transport's servlet on the same port
            installFeatures("updraft-transport-ddi");
            try {
                URI poll = URI.create(base.replace("/api/v1", "") + "/DEFAULT/controller/v1/rest-it-1");
                HttpResponse<String>[] ddi = new HttpResponse[1];
                await("the DDI servlet's own 401 at " + poll, Duration.ofSeconds(60), () -> {
                    try {
                        ddi[0] = http.send(HttpRequest.newBuilder(poll).build(), HttpResponse.BodyHandlers.ofString());
                        return ddi[0].statusCode() == 401
                                && ddi[0].headers().firstValue("WWW-Authenticate").orElse("").equals("TargetToken");
                    } catch (Exception e) {
                        return false;
                    }
                }, () -> "last answer: " + (ddi[0] == null ? "none" : ddi[0].statusCode() + " " + ddi[0].body()));
                assertEquals(200, get("/status", bearer(admin)).statusCode());
            } finally {
                uninstallFeatures("updraft-transport-ddi");
            }

            String list = executeCommand("updraft:token-list");
            assertTrue(list, list.contains("dash") && list.contains("viewer") && !list.contains(viewer));
            executeCommand("updraft:token-revoke dash");
            assertProblem(get("/status", bearer(viewer)), 401, "bad-token");
            assertFalse(readKarafFile("data/updraft/api-tokens.properties").contains(operator));
        } finally {
            uninstallFeatures("updraft-rest");
        }
    }

    private String token(String name, String role) {
        String out = executeCommand("updraft:token-create --role " + role + " " + name).strip();
        String token = out.substring(out.lastIndexOf('\n') + 1).strip();
        assertTrue(out, token.startsWith("updraft_"));
        return token;
    }

    private long ledgerSize(String viewer) throws Exception {
        return ((Number) object(get("/ledger/events?limit=1", bearer(viewer))).get("size")).longValue();
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String authorization, String json)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", authorization)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> publish(String authorization, byte[] manifest, byte[] image) throws Exception {
        String boundary = "----rest-it-" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (var part : List.of(Map.entry("manifest", manifest), Map.entry("image", image))) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.getKey()
                    + "\"; filename=\"" + part.getKey() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            body.write(part.getValue());
            body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return http.send(HttpRequest.newBuilder(URI.create(base + "/releases")).header("Authorization", authorization)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> object(HttpResponse<String> response) {
        return JsonReader.object(JsonReader.parse(response.body()), "answer");
    }

    private static void assertProblem(HttpResponse<String> response, int status, String code) {
        assertEquals(response.body(), status, response.statusCode());
        assertEquals(response.body(), "application/problem+json",
                response.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        assertEquals(response.body(), code, object(response).get("code"));
    }
}
