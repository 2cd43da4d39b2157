package org.updraft.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

/**
 * Row 16a (issue 16): hawkBit DDI base polls ({@code GET /DEFAULT/controller/v1/{controllerId}} with the device's TargetToken) from
 * many devices against Updraft's DDI transport on its platform ({@link DdiPollServer} {@code ddi}: each poll
 * authenticated, the device looked up, the update service asked, the answer's JSON made), each device already offered
 * a running rollout's release, so every answer links its deploymentBase. The reference is a bare JAX-RS resource on the
 * same stack (CXF's servlet on the same Jetty) answering each device the same bytes, ETag and media type, captured from
 * the transport in the warm-up. Both servers run in JVMs of their own, polled alternately by the same client (the
 * JDK's HTTP client, a fixed number of requests in flight over kept-alive connections); an answer counts only when it
 * is 200 with exactly the expected bytes.
 */
final class DdiPollRow {

    private static final String HEAP = "1g";
    /** Requests in flight at once: the connections the client keeps open. */
    private static final int IN_FLIGHT = 64;

    private DdiPollRow() {
    }

    /** What one server answered in a round. */
    record Result(long ok, long wrong, String firstWrong, double seconds) {
        double perSecond() {
            return ok / seconds;
        }
    }

    static Row run(Path work, boolean quick) throws Exception {
        int devices = quick ? 50 : 1000;
        double seconds = quick ? 1 : 5;
        int rounds = quick ? 1 : 3;
        Path dir = Files.createTempDirectory(work, "ddi-polls");
        SecureRandom random = new SecureRandom();
        List<String> ids = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            String id = String.format(Locale.ROOT, "ddi-%05d", i);
            byte[] t = new byte[16];
            random.nextBytes(t);
            ids.add(id);
            tokens.add(HexFormat.of().formatHex(t));
            lines.add(id + " " + SigningKey.generate(KeyAlgorithm.ED25519).did() + " " + tokens.get(i));
        }
        Path devicesFile = Files.write(dir.resolve("devices.txt"), lines);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        try (ServerProcess ddi = new ServerProcess(work, "ddi-platform", List.of("-Xmx" + HEAP, "-Xms" + HEAP),
                DdiPollServer.class, "ddi", dir.toString(), devicesFile.toString())) {
            String ddiBase = "http://127.0.0.1:" + ddi.port();
            // warm-up: every device offered (its first poll records the offer), and its answer captured
            List<HttpResponse<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < devices; i++) {
                answers.add(poll(client, ddiBase, ids.get(i), tokens.get(i)));
            }
            List<byte[]> expected = new ArrayList<>();
            StringBuilder file = new StringBuilder();
            String type = answers.get(0).headers().firstValue("Content-Type").orElse("application/json");
            file.append(type).append('\n');
            for (int i = 0; i < devices; i++) {
                HttpResponse<byte[]> a = poll(client, ddiBase, ids.get(i), tokens.get(i));
                String body = new String(a.body(), StandardCharsets.UTF_8);
                if (a.statusCode() != 200 || !body.contains("deploymentBase")) {
                    throw new IllegalStateException("device " + ids.get(i) + " was not offered the rollout: "
                            + a.statusCode() + " " + body);
                }
                if (!Arrays.equals(a.body(), answers.get(i).body())) {
                    throw new IllegalStateException("the base poll of " + ids.get(i) + " changed between polls: "
                            + new String(answers.get(i).body(), StandardCharsets.UTF_8) + " then " + body);
                }
                expected.add(a.body());
                file.append(ids.get(i)).append(' ').append(a.headers().firstValue("ETag").orElse("\"\"")).append(' ')
                        .append(Base64.getEncoder().encodeToString(a.body())).append('\n');
            }
            Path answersFile = Files.writeString(dir.resolve("answers.txt"), file);
            try (ServerProcess bare = new ServerProcess(work, "ddi-bare", List.of("-Xmx" + HEAP, "-Xms" + HEAP),
                    DdiPollServer.class, "bare", answersFile.toString())) {
                String bareBase = "http://127.0.0.1:" + bare.port();
                HttpResponse<byte[]> same = poll(client, bareBase, ids.get(0), tokens.get(0));
                if (!Arrays.equals(same.body(), expected.get(0))
                        || !same.headers().firstValue("ETag").equals(answers.get(0).headers().firstValue("ETag"))) {
                    throw new IllegalStateException("the bare resource does not answer the transport's bytes");
                }
                // both warmed up (JIT) before a round counts
                load(client, ddiBase, ids, tokens, expected, seconds);
                load(client, bareBase, ids, tokens, expected, seconds);
                Result bestDdi = null;
                Result bestBare = null;
                for (int r = 0; r < rounds; r++) {
                    Result d = checked("DDI transport", load(client, ddiBase, ids, tokens, expected, seconds));
                    Result b = checked("bare resource", load(client, bareBase, ids, tokens, expected, seconds));
                    bestDdi = bestDdi == null || d.perSecond() > bestDdi.perSecond() ? d : bestDdi;
                    bestBare = bestBare == null || b.perSecond() > bestBare.perSecond() ? b : bestBare;
                }
                return new Row("16a", "DDI base polls from " + devices + " devices (hawkBit DDI over HTTP)",
                        bestDdi.perSecond(), "polls/s",
                        "bare JAX-RS resource (CXF on the same Jetty 9.4) answering the same bytes",
                        bestBare.perSecond(), "polls/s", 0.8, "≥ 0.8", false,
                        String.format(Locale.ROOT, "not profiled: each poll authenticates its "
                                + "TargetToken, reads the registry, asks the update service and writes the JSON; %d in "
                                + "flight over kept-alive connections from one JDK client, best of %d rounds of %.0f s; "
                                + "client and servers share the machine's cores", IN_FLIGHT, rounds, seconds));
            }
        }
    }

    private static Result checked(String what, Result r) {
        if (r.wrong() > 0) {
            throw new IllegalStateException(what + ": " + r.wrong() + " answers were not the expected 200 and bytes, "
                    + "e.g. " + r.firstWrong());
        }
        return r;
    }

    private static HttpResponse<byte[]> poll(HttpClient client, String base, String id, String token)
            throws Exception {
        return client.send(request(base, id, token), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpRequest request(String base, String id, String token) {
        return HttpRequest.newBuilder(URI.create(base + "/DEFAULT/controller/v1/" + id))
                .header("Authorization", "TargetToken " + token).header("Accept", "application/hal+json")
                .timeout(Duration.ofSeconds(30)).GET().build();
    }

    /** Polls the devices in turn, IN_FLIGHT at a time, for {@code seconds}; then waits for those still in flight. */
    static Result load(HttpClient client, String base, List<String> ids, List<String> tokens, List<byte[]> expected,
            double seconds) throws Exception {
        Semaphore slots = new Semaphore(IN_FLIGHT);
        AtomicLong ok = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        AtomicReference<String> firstWrong = new AtomicReference<>();
        long begin = System.nanoTime();
        long end = begin + (long) (seconds * 1e9);
        int next = 0;
        while (System.nanoTime() < end) {
            if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
            }
            int i = next;
            next = (next + 1) % ids.size();
            client.sendAsync(request(base, ids.get(i), tokens.get(i)), HttpResponse.BodyHandlers.ofByteArray())
                    .whenComplete((response, error) -> {
                        if (error == null && response.statusCode() == 200
                                && Arrays.equals(response.body(), expected.get(i))) {
                            ok.incrementAndGet();
                        } else {
                            wrong.incrementAndGet();
                            firstWrong.compareAndSet(null, error != null ? error.toString()
                                    : response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
                        }
                        slots.release();
                    });
        }
        if (!slots.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("requests still in flight 60 s after the round");
        }
        double elapsed = (System.nanoTime() - begin) / 1e9;
        return new Result(ok.get(), wrong.get(), firstWrong.get(), elapsed);
    }
}
