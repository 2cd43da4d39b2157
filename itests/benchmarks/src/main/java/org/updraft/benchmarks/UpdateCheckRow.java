package org.updraft.benchmarks;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.SystemConfig;
import org.eclipse.californium.elements.config.UdpConfig;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

/**
 * Row 3: update checks over CoAP from many concurrent devices against Updraft's platform ({@link FleetServer}:
 * CoAP transport, update service deciding from the rollout replayed from the durable ledger and the registry),
 * each device already offered the release (its first check appended the offer during warm-up), so what is
 * measured is what a polling fleet mostly sends. The reference is a bare Californium resource returning the same
 * answer bytes, in a JVM of its own too, polled by the same client ({@link CheckLoad}).
 */
final class UpdateCheckRow {

    /**
     * Both servers' heap. At 512 MiB both (the bare Californium one too) ended in back-to-back full collections
     * during a full run: Californium keeps answered requests for duplicate detection, and thousands of checks per
     * second fill it. Row 5, not this row, is where the 512 MiB limit is measured.
     */
    private static final String HEAP = "2g";

    private UpdateCheckRow() {
    }

    static Row run(Path work, boolean quick) throws Exception {
        int devices = quick ? 50 : 1000;
        double seconds = quick ? 1 : 5;
        int rounds = quick ? 1 : 3;
        Path dir = Files.createTempDirectory(work, "checks");
        List<String> ids = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            String id = String.format("chk-%05d", i);
            ids.add(id);
            lines.add(id + " " + SigningKey.generate(KeyAlgorithm.ED25519).did());
        }
        Path devicesFile = dir.resolve("devices.txt");
        Files.write(devicesFile, lines);

        try (ServerProcess updraft = new ServerProcess(dir, "row3-updraft", HEAP, "platform",
                dir.resolve("platform").toString(), String.valueOf(128 * 1024))) {
            updraft.ask("REGISTER " + devicesFile, "STARTED");
            InetSocketAddress updraftAddress = new InetSocketAddress("127.0.0.1", updraft.port());
            byte[] answer = answer(updraftAddress, ids.get(0));
            Path payload = dir.resolve("answer.cbor");
            Files.write(payload, answer);
            // first checks append each device's offer; repeat until every device has been answered a few times
            for (int i = 0; i < 20; i++) {
                if (CheckLoad.run(updraftAddress, ids, answer, quick ? 0.5 : 2).answers() >= 3L * devices) {
                    break;
                }
            }
            String[] progress = updraft.ask("PROGRESS", "PROGRESS");
            if (Integer.parseInt(progress[0]) != devices) {
                throw new IllegalStateException("row 3: " + progress[0] + " of " + devices
                        + " devices were offered the release during warm-up");
            }
            try (ServerProcess bare = new ServerProcess(dir, "row3-bare", HEAP, "bare", payload.toString())) {
                InetSocketAddress bareAddress = new InetSocketAddress("127.0.0.1", bare.port());
                CheckLoad.run(bareAddress, ids, answer, quick ? 0.5 : 2); // warm-up
                CheckLoad.Result[] ours = new CheckLoad.Result[rounds];
                CheckLoad.Result[] theirs = new CheckLoad.Result[rounds];
                double[] a = new double[rounds];
                double[] b = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ours[r] = CheckLoad.run(updraftAddress, ids, answer, seconds);
                    theirs[r] = CheckLoad.run(bareAddress, ids, answer, seconds);
                    for (CheckLoad.Result result : List.of(ours[r], theirs[r])) {
                        if (result.firstFailure() != null) {
                            throw new IllegalStateException("row 3: " + result.firstFailure());
                        }
                    }
                    a[r] = ours[r].perSecond();
                    b[r] = theirs[r].perSecond();
                }
                long retriesOurs = 0;
                long retriesTheirs = 0;
                for (int r = 0; r < rounds; r++) {
                    retriesOurs += ours[r].retries();
                    retriesTheirs += theirs[r].retries();
                }
                String[] heap = updraft.ask("HEAP", "HEAP");
                return new Row("3", "update checks over CoAP, " + devices + " concurrent devices, " + answer.length
                        + "-byte answer (offer + inclusion proof)", Rates.median(a), "checks/s",
                        "bare Californium resource, same answer bytes, same client", Rates.median(b), "checks/s", 0.8,
                        "≥ 0.8", false, String.format(Locale.ROOT, "%s; timeouts %d vs %d; Updraft server's heap fullest"
                                + " %.0f MiB (-Xmx" + HEAP + ")", bound, retriesOurs, retriesTheirs, Long.parseLong(heap[0]) / 1048576.0));
            }
        }
    }

    /**
     * Row 3d: the same over DTLS, as deployed (the plain port off, each check bound to the device's key): each device
     * its own DTLS session with its own key, against a bare Californium resource behind Scandium with the transport's
     * own DTLS settings ({@code DtlsEndpoints.server}), the same answer bytes, the same client. Sessions are made in
     * the warm-up and kept, so a round measures checks in established sessions.
     */
    static Row runDtls(Path work, boolean quick) throws Exception {
        int devices = quick ? 50 : 1000;
        double seconds = quick ? 1 : 5;
        int rounds = quick ? 1 : 3;
        Path dir = Files.createTempDirectory(work, "checks-dtls");
        List<String> ids = new ArrayList<>();
        List<SigningKey> keys = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            String id = String.format("chk-%05d", i);
            SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
            ids.add(id);
            keys.add(key);
            lines.add(id + " " + key.did());
        }
        Path devicesFile = dir.resolve("devices.txt");
        Files.write(devicesFile, lines);

        try (ServerProcess updraft = new ServerProcess(dir, "row3d-updraft", HEAP, "platform-dtls",
                dir.resolve("platform").toString(), String.valueOf(128 * 1024));
                DtlsDevices toUpdraft = new DtlsDevices(new InetSocketAddress("127.0.0.1", updraft.port()),
                        updraft.ready[3], keys)) {
            updraft.ask("REGISTER " + devicesFile, "STARTED");
            byte[] answer = answer(toUpdraft.endpoint(0), "coaps://127.0.0.1:" + updraft.port() + "/check/"
                    + ids.get(0) + "?seq=1", ids.get(0));
            Path payload = dir.resolve("answer.cbor");
            Files.write(payload, answer);
            // handshakes, then first checks appending each device's offer
            for (int i = 0; i < 20; i++) {
                if (CheckLoad.run(toUpdraft, ids, answer, quick ? 1 : 3).answers() >= 3L * devices) {
                    break;
                }
            }
            String[] progress = updraft.ask("PROGRESS", "PROGRESS");
            if (Integer.parseInt(progress[0]) != devices) {
                throw new IllegalStateException("row 3d: " + progress[0] + " of " + devices
                        + " devices were offered the release during warm-up");
            }
            try (ServerProcess bare = new ServerProcess(dir, "row3d-bare", HEAP, "bare-dtls", payload.toString());
                    DtlsDevices toBare = new DtlsDevices(new InetSocketAddress("127.0.0.1", bare.port()),
                            bare.ready[1], keys)) {
                for (int i = 0; i < 20; i++) {
                    if (CheckLoad.run(toBare, ids, answer, quick ? 1 : 3).answers() >= 3L * devices) {
                        break;
                    }
                }
                double[] a = new double[rounds];
                double[] b = new double[rounds];
                long retriesOurs = 0;
                long retriesTheirs = 0;
                for (int r = 0; r < rounds; r++) {
                    CheckLoad.Result ours = CheckLoad.run(toUpdraft, ids, answer, seconds);
                    CheckLoad.Result theirs = CheckLoad.run(toBare, ids, answer, seconds);
                    for (CheckLoad.Result result : List.of(ours, theirs)) {
                        if (result.firstFailure() != null) {
                            throw new IllegalStateException("row 3d: " + result.firstFailure());
                        }
                    }
                    a[r] = ours.perSecond();
                    b[r] = theirs.perSecond();
                    retriesOurs += ours.retries();
                    retriesTheirs += theirs.retries();
                }
                String[] heap = updraft.ask("HEAP", "HEAP");
                return new Row("3d", "update checks over CoAP with DTLS, " + devices + " devices each in its own "
                        + "session, " + answer.length + "-byte answer", Rates.median(a), "checks/s",
                        "bare Californium resource behind Scandium, the transport's DTLS settings, same answer bytes, "
                        + "same client", Rates.median(b), "checks/s", 0.8, "≥ 0.8", false, String.format(Locale.ROOT,
                        "each check bound to the device's registered key; timeouts %d vs %d; Updraft server's heap "
                        + "fullest %.0f MiB (-Xmx" + HEAP + ")", retriesOurs, retriesTheirs,
                        Long.parseLong(heap[0]) / 1048576.0));
            }
        }
    }

    /** One check through a device's own DTLS session: the answer every device of the rollout is told. */
    private static byte[] answer(CoapEndpoint endpoint, String uri, String deviceId) throws Exception {
        CoapClient client = new CoapClient(uri);
        try {
            client.setEndpoint(endpoint);
            client.setTimeout(30_000L);
            CoapResponse response = client.get();
            if (response == null || response.getCode() != ResponseCode.CONTENT) {
                throw new IllegalStateException("row 3d: the platform did not offer the release to " + deviceId
                        + " over DTLS: " + (response == null ? "no answer" : response.getCode() + " "
                        + response.getResponseText()));
            }
            return response.getPayload();
        } finally {
            // the endpoint is the device's, and stays open
            client.shutdown();
        }
    }

    /** What bounds the row, from the JFR profile of the server (see BENCHMARKS.md). */
    static String bound = "not profiled (target met): each check is a registry lookup, the decision under the"
            + " update service's engine lock and the cached offer's CBOR; client and server share the 2 cores";

    /** The platform's answer to one device's check: what every device of the rollout is told. */
    private static byte[] answer(InetSocketAddress server, String deviceId) throws Exception {
        Configuration config = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS,
                SystemConfig.DEFINITIONS);
        CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config)
                .setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build();
        CoapClient client = new CoapClient("coap://127.0.0.1:" + server.getPort() + "/check/" + deviceId + "?seq=1");
        try {
            client.setEndpoint(endpoint);
            client.setTimeout(30_000L);
            CoapResponse response = client.get();
            if (response == null || response.getCode() != ResponseCode.CONTENT) {
                throw new IllegalStateException("row 3: the platform did not offer the release to " + deviceId + ": "
                        + (response == null ? "no answer" : response.getCode() + " " + response.getResponseText()));
            }
            return response.getPayload();
        } finally {
            client.shutdown();
            endpoint.destroy();
        }
    }
}
