package org.updraft.benchmarks;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.demo.internal.fleet.FleetConfig;
import org.updraft.demo.internal.fleet.FleetProvisioning;
import org.updraft.demo.internal.fleet.FleetSimulator;
import org.updraft.demo.internal.fleet.FleetSummary;
import org.updraft.device.SimulatedDevice;

/**
 * Row 5: a whole rollout to a simulated fleet on loopback. Updraft's platform ({@link FleetServer}, real
 * components, durable ledger) runs in its own JVM with {@code -Xmx512m}; the fleet ({@link FleetSimulator}, the
 * real device agents) in this one. Every device checks, is offered the release (appended to the ledger), verifies
 * the offer (signature, inclusion proof, checkpoint), downloads the image block by block, checks its size and
 * SHA-256, installs, reboots and reports each step (signed, appended). No faults are injected.
 *
 * <p>The figure is devices finished per second over the whole run. The reference is row 4's bare transfer turned
 * into the same unit: libcoap's bytes per second divided by the image size, i.e. how many devices per second the
 * download alone could serve at that rate, with no check, verification or report.
 */
final class FleetRolloutRow {

    static final int IMAGE = 128 * 1024;

    private FleetRolloutRow() {
    }

    static Row run(Path work, boolean quick, Row delivery) throws Exception {
        return run(work, quick, delivery, false);
    }

    /**
     * Row 5d: the same rollout over CoAP with DTLS, as deployed (the plain port off, each request bound to the
     * device's key): each device its own DTLS session with its provisioning key, pinning the server's key, handshake
     * included in its time. The reference stays row 4's bare transfer, unencrypted.
     */
    static Row runDtls(Path work, boolean quick, Row delivery) throws Exception {
        return run(work, quick, delivery, true);
    }

    private static Row run(Path work, boolean quick, Row delivery, boolean dtls) throws Exception {
        String id = dtls ? "5d" : "5";
        if (delivery == null || !delivery.measured()) {
            throw new IllegalStateException("row " + id + " compares with row 4's bare transfer, which did not run");
        }
        // -Dupdraft.bench.fleet=N: another fleet size, for profiling
        int devices = Integer.getInteger("updraft.bench.fleet", quick ? 100 : 10_000);
        Path dir = Files.createTempDirectory(work, "fleet");
        try (ServerProcess server = new ServerProcess(dir, "row" + id + "-updraft", "512m", dtls ? "platform-dtls" : "platform",
                dir.resolve("platform").toString(), String.valueOf(IMAGE))) {
            String logKey = server.ready[1];
            String manufacturer = server.ready[2];
            TrustedKey trusted = new TrustedKey(manufacturer, FleetServer.VENDOR, Set.of(), KeyStatus.ACTIVE,
                    Instant.EPOCH, null, null, 0);
            List<SimulatedDevice> fleet = FleetProvisioning.builder(FleetServer.VENDOR, FleetServer.CLASS, logKey,
                    did -> did.equals(manufacturer) ? Optional.of(trusted) : Optional.empty()).idPrefix("dev-")
                    .generate(devices);
            List<String> lines = new ArrayList<>();
            for (SimulatedDevice d : fleet) {
                lines.add(d.id() + " " + d.provisioning().did());
            }
            Path devicesFile = dir.resolve("devices.txt");
            Files.write(devicesFile, lines);
            server.ask("REGISTER " + devicesFile, "STARTED");

            FleetConfig.Builder builder = FleetConfig.builder(new InetSocketAddress("127.0.0.1", server.port()));
            if (dtls) {
                builder.dtls(server.ready[3]);
            }
            FleetConfig config = builder.blockSize(1024).deadline(Duration.ofMinutes(15))
                    .progressInterval(Duration.ofSeconds(10)).build();
            FleetSummary summary;
            try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
                summary = simulator.run();
            }
            System.err.println("row " + id + ": " + summary);
            String[] progress = server.ask("PROGRESS", "PROGRESS");
            String[] heap = server.ask("HEAP", "HEAP");
            if (summary.updated() != devices || Integer.parseInt(progress[1]) != devices) {
                throw new IllegalStateException("row " + id + ": " + summary.updated() + " of " + devices
                        + " devices updated, the platform recorded " + progress[1] + " installed: " + summary);
            }
            double seconds = summary.elapsed().toMillis() / 1000.0;
            double bareDevicesPerSecond = delivery.referenceFigure() * 1e6 / IMAGE;
            double peakMiB = Long.parseLong(heap[0]) / 1048576.0;
            return new Row(id, "full fleet rollout" + (dtls ? " over DTLS (a session and handshake per device)" : "")
                    + ", " + devices + " devices, 128 KiB image, check + download + "
                    + "verify + report; server -Xmx512m, own JVM", devices / seconds, "devices/s",
                    "row 4's libcoap rate as devices/s (bytes/s ÷ 128 KiB)", bareDevicesPerSecond, "devices/s", 0.7,
                    "≥ 0.7; heap ≤ 512 MiB", false, String.format(Locale.ROOT, "%s; %.1f s for %d devices, %d block"
                            + " requests, %d retransmissions; server heap (-Xmx512m): fullest %.0f MiB (before a GC,"
                            + " garbage included), largest live set %.0f MiB (after a GC), limit %.0f MiB (%s)", dtls ? "DTLS: "
                            + "not profiled" : bound, seconds, devices,
                            summary.blockRequests(), summary.retransmissions(), peakMiB,
                            Long.parseLong(heap[1]) / 1048576.0, Long.parseLong(heap[2]) / 1048576.0,
                            peakMiB <= 512 ? "met" : "not met"));
        }
    }

    /** What bounds the row, from the JFR profile of the server (see BENCHMARKS.md). */
    static String bound = "JFR of the server: fixed first, request threads waiting on the engine lock (first"
            + " offers and reports appended one fsync each under it: 23 s of waits in a 24 s run), then Californium's"
            + " duplicate store filling the heap (every 1 KiB block answer kept 247 s). Now: CoAP retransmissions"
            + " (500 ms ACK timeout) as server, simulator and everything else share the 2 cores";
}
