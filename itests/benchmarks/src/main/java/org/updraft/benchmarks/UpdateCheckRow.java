package org.updraft.benchmarks;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
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
 *
 * <p>Row 3d is the same over DTLS, as deployed (the plain port off, each check bound to the device's key): each
 * device its own DTLS session with its own key ({@link DtlsDevices}), against the bare resource behind Scandium with
 * the transport's own DTLS settings ({@code DtlsEndpoints.server}). Sessions are made in the warm-up and kept, so a
 * round measures checks in established sessions.
 */
final class UpdateCheckRow {

    /**
     * Both servers' heap. At 512 MiB both (the bare Californium one too) ended in back-to-back full collections
     * during a full run: Californium keeps answered requests for duplicate detection, and thousands of checks per
     * second fill it. Row 5, not this row, is where the 512 MiB limit is measured.
     */
    private static final String HEAP = "2g";

    /** How the row's devices reach one server: plain CoAP endpoints, or a DTLS session each. */
    private interface Devices extends AutoCloseable {
        CheckLoad.Result check(CheckLoad.Expected expected, double seconds) throws Exception;

        /** Device 0's first check: the answer every device of the rollout is told. */
        CheckLoad.Expected firstAnswer() throws Exception;

        @Override
        void close();
    }

    private UpdateCheckRow() {
    }

    static Row run(Path work, boolean quick) throws Exception {
        return run(work, quick, false);
    }

    static Row runDtls(Path work, boolean quick) throws Exception {
        return run(work, quick, true);
    }

    private static Row run(Path work, boolean quick, boolean dtls) throws Exception {
        String row = dtls ? "3d" : "3";
        int devices = quick ? 50 : 1000;
        double seconds = quick ? 1 : 5;
        int rounds = quick ? 1 : 3;
        Path dir = Files.createTempDirectory(work, "checks" + (dtls ? "-dtls" : ""));
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

        try (ServerProcess updraft = new ServerProcess(dir, "row" + row + "-updraft", HEAP,
                dtls ? "platform-dtls" : "platform", dir.resolve("platform").toString(), String.valueOf(128 * 1024));
                Devices toUpdraft = devices(updraft, dtls ? updraft.ready[3] : null, ids, keys)) {
            updraft.ask("REGISTER " + devicesFile, "STARTED");
            CheckLoad.Expected answer = toUpdraft.firstAnswer();
            Path payload = dir.resolve("answer.cbor");
            Files.write(payload, answer.payload());
            // (handshakes, then) first checks append each device's offer; until every device was answered a few times
            warmUp(toUpdraft, answer, devices, quick);
            String[] progress = updraft.ask("PROGRESS", "PROGRESS");
            if (Integer.parseInt(progress[0]) != devices) {
                throw new IllegalStateException("row " + row + ": " + progress[0] + " of " + devices
                        + " devices were offered the release during warm-up");
            }
            try (ServerProcess bare = new ServerProcess(dir, "row" + row + "-bare", HEAP, dtls ? "bare-dtls" : "bare",
                    payload.toString(), HexFormat.of().formatHex(answer.etag()));
                    Devices toBare = devices(bare, dtls ? bare.ready[1] : null, ids, keys)) {
                warmUp(toBare, answer, devices, quick);
                double[] a = new double[rounds];
                double[] b = new double[rounds];
                long retriesOurs = 0;
                long retriesTheirs = 0;
                long shedOurs = 0;
                long shedTheirs = 0;
                for (int r = 0; r < rounds; r++) {
                    CheckLoad.Result ours = toUpdraft.check(answer, seconds);
                    CheckLoad.Result theirs = toBare.check(answer, seconds);
                    for (CheckLoad.Result result : List.of(ours, theirs)) {
                        if (result.firstFailure() != null) {
                            throw new IllegalStateException("row " + row + ": " + result.firstFailure());
                        }
                    }
                    a[r] = ours.perSecond();
                    b[r] = theirs.perSecond();
                    retriesOurs += ours.retries();
                    retriesTheirs += theirs.retries();
                    shedOurs += ours.shed();
                    shedTheirs += theirs.shed();
                }
                String[] heap = updraft.ask("HEAP", "HEAP");
                String notes = String.format(Locale.ROOT, "%s; timeouts %d vs %d; shed (5.03, asked again after %d ms)"
                        + " %d vs %d; Updraft server's heap fullest %.0f MiB (-Xmx" + HEAP + ")",
                        dtls ? "each check bound to the device's registered key" : bound, retriesOurs, retriesTheirs,
                        ShedPause.MILLIS, shedOurs, shedTheirs, Long.parseLong(heap[0]) / 1048576.0);
                return dtls
                        ? new Row(row, "update checks over CoAP with DTLS, " + devices + " devices each in its own "
                                + "session, " + answer.payload().length + "-byte answer", Rates.median(a), "checks/s",
                                "bare Californium resource behind Scandium, the transport's DTLS settings, same answer "
                                + "bytes, same client", Rates.median(b), "checks/s", 0.8, "≥ 0.8", false, notes)
                        : new Row(row, "update checks over CoAP, " + devices + " concurrent devices, "
                                + answer.payload().length + "-byte answer (offer + inclusion proof)", Rates.median(a),
                                "checks/s", "bare Californium resource, same answer bytes, same client",
                                Rates.median(b), "checks/s", 0.8, "≥ 0.8", false, notes);
            }
        }
    }

    private static void warmUp(Devices devices, CheckLoad.Expected answer, int count, boolean quick)
            throws Exception {
        // a round ends at its first failure: a 5.03 while the first offers are appended is the server shedding load,
        // as it should, so the warm-up goes on until a round passes with every device answered a few times
        for (int i = 0; i < 20; i++) {
            CheckLoad.Result result = devices.check(answer, quick ? 1 : 2);
            if (result.firstFailure() == null && result.answers() >= 3L * count) {
                return;
            }
        }
    }

    /** The row's devices toward {@code server}: over DTLS pinning {@code serverKey}, or plain CoAP when null. */
    private static Devices devices(ServerProcess server, String serverKey, List<String> ids, List<SigningKey> keys)
            throws Exception {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        if (serverKey == null) {
            return new Devices() {
                @Override
                public CheckLoad.Result check(CheckLoad.Expected expected, double seconds) throws Exception {
                    return CheckLoad.run(address, ids, expected, seconds);
                }

                @Override
                public CheckLoad.Expected firstAnswer() throws Exception {
                    Configuration config = new Configuration(CoapConfig.DEFINITIONS, UdpConfig.DEFINITIONS,
                            SystemConfig.DEFINITIONS);
                    CoapEndpoint endpoint = new CoapEndpoint.Builder().setConfiguration(config)
                            .setInetSocketAddress(new InetSocketAddress("127.0.0.1", 0)).build();
                    try {
                        return answer(endpoint, "coap://127.0.0.1:" + address.getPort() + "/check/" + ids.get(0)
                                + "?seq=1", ids.get(0));
                    } finally {
                        endpoint.destroy();
                    }
                }

                @Override
                public void close() {
                }
            };
        }
        DtlsDevices sessions = new DtlsDevices(address, serverKey, keys);
        return new Devices() {
            @Override
            public CheckLoad.Result check(CheckLoad.Expected expected, double seconds) throws Exception {
                return CheckLoad.run(sessions, ids, expected, seconds);
            }

            @Override
            public CheckLoad.Expected firstAnswer() throws Exception {
                // the endpoint is the device's, and stays open
                return answer(sessions.endpoint(0), "coaps://127.0.0.1:" + address.getPort() + "/check/" + ids.get(0)
                        + "?seq=1", ids.get(0));
            }

            @Override
            public void close() {
                sessions.close();
            }
        };
    }

    /** One check through {@code endpoint}. */
    private static CheckLoad.Expected answer(CoapEndpoint endpoint, String uri, String deviceId) throws Exception {
        CoapClient client = new CoapClient(uri);
        try {
            client.setEndpoint(endpoint);
            client.setTimeout(30_000L);
            CoapResponse response = client.get();
            if (response == null || response.getCode() != ResponseCode.CONTENT) {
                throw new IllegalStateException("the platform did not offer the release to " + deviceId + " (" + uri
                        + "): " + (response == null ? "no answer" : response.getCode() + " "
                        + response.getResponseText()));
            }
            return CheckLoad.Expected.of(response.advanced());
        } finally {
            client.shutdown();
        }
    }

    /** What bounds the row, from the JFR profile of the server (see BENCHMARKS.md). */
    static String bound = "not profiled (target met): each check is a registry lookup, the decision under the"
            + " update service's engine lock and the cached offer's CBOR; client and server share the 2 cores";
}
