package org.updraft.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.updraft.testing.Mosquitto;

/**
 * Row 12: row 5's rollout over MQTT. Updraft's platform ({@link FleetServer} {@code platform-mqtt}: real
 * components, durable ledger, the MQTT transport as one client of the broker) runs in its own JVM with
 * {@code -Xmx512m}; mosquitto is started for the run; the fleet's devices each have their own MQTT connection, as
 * real devices have, and run in JVMs of their own ({@link FleetSlice}), each connection one thread of the
 * device's own MQTT client. Every device checks, is offered the release, verifies the offer, downloads
 * the image block by block, checks it, installs, reboots and reports each step. No faults are injected.
 *
 * <p>The figure is devices finished per second, from the start sent to every slice to the last slice's end. The
 * reference is row 8's bare Paho responder turned into the same unit (bytes per second divided by the image size):
 * how many devices per second the download alone could serve through the same broker, with no check, verification
 * or report.
 */
final class MqttFleetRolloutRow {

    static final int IMAGE = 128 * 1024;
    /**
     * Devices per slice JVM: a thread each (the device's own MQTT client reads its connection in one thread; Paho
     * took three, and 10,000 devices came near this machine's pid_max of 32768), and each device holds its 128 KiB
     * image slot while it downloads: 5,000 × 128 KiB is 625 MiB of a slice's 1.5 GiB.
     */
    static final int SLICE = 5_000;
    /**
     * Issue 13's fleet. Measured 2026-12-06 with the 2 cores shared with other builds: 10,000 of 10,000 devices in
     * 103.8 s and in 137.1 s, the server's heap at most 425 MiB (live set 268 MiB); each slice's threads are its
     * devices plus a few dozen (2,023 for 2,000 devices).
     */
    static final int FLEET = 10_000;

    private MqttFleetRolloutRow() {
    }

    static Row run(Path work, boolean quick, Row delivery) throws Exception {
        if (delivery == null || !delivery.measured()) {
            throw new IllegalStateException("row 12 compares with row 8's bare Paho responder, which did not run");
        }
        // -Dupdraft.bench.mqttfleet=N: another fleet size, for profiling or a machine with fewer threads to spare
        int devices = Integer.getInteger("updraft.bench.mqttfleet", quick ? 100 : FLEET);
        // two slices at least, so that the quick run shows the slices adding up as the full one does
        int slices = Math.max(2, (devices + SLICE - 1) / SLICE);
        Path dir = Files.createTempDirectory(work, "mqtt-fleet");
        // every device a connection; the platform's and the slices' log lines are few, the broker's per message
        // would be millions (row 8 logs them all; here only what goes wrong and who connects)
        List<String> brokerConfig = List.of("allow_anonymous true", "max_connections -1", "log_type none",
                "log_type error", "log_type warning", "log_type notice");
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"), brokerConfig);
                ServerProcess server = new ServerProcess(dir, "row12-updraft", "512m", "platform-mqtt",
                        dir.resolve("platform").toString(), String.valueOf(IMAGE), broker.uri())) {
            String logKey = server.ready[1];
            String manufacturer = server.ready[2];
            List<ServerProcess> fleet = new ArrayList<>();
            try {
                List<String> registered = new ArrayList<>();
                for (int s = 0; s < slices; s++) {
                    int count = devices / slices + (s < devices % slices ? 1 : 0);
                    Path file = dir.resolve("devices-" + s + ".txt");
                    // 256 KiB stacks: 5,000 default 1 MiB stacks are a lot to reserve, and the agent's work on a
                    // connection's thread (verification, CBOR) is shallow
                    fleet.add(new ServerProcess(dir, "row12-slice-" + s, List.of("-Xmx1536m", "-Xss256k"),
                            FleetSlice.class, "s" + s + "-dev-", String.valueOf(count), file.toString(), logKey,
                            manufacturer, broker.uri()));
                    registered.addAll(Files.readAllLines(file));
                }
                Path devicesFile = dir.resolve("devices.txt");
                Files.write(devicesFile, registered);
                server.ask("REGISTER " + devicesFile, "STARTED");

                long start = System.nanoTime();
                for (ServerProcess slice : fleet) {
                    slice.send("START");
                }
                int updated = 0;
                long blockRequests = 0;
                List<String> ends = new ArrayList<>();
                for (ServerProcess slice : fleet) {
                    String[] done = slice.await("START", "DONE");
                    updated += Integer.parseInt(done[0]);
                    blockRequests += Long.parseLong(done[5]);
                    ends.add(String.join(" ", done));
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.err.println("row 12: " + devices + " devices in " + slices + " slices, " + String.format(
                        Locale.ROOT, "%.1f s", seconds) + "; each slice (updated failed rolled-back unfinished ms"
                        + " block-requests): " + ends);
                String[] progress = server.ask("PROGRESS", "PROGRESS");
                String[] heap = server.ask("HEAP", "HEAP");
                if (updated != devices || Integer.parseInt(progress[1]) != devices) {
                    throw new IllegalStateException("row 12: " + updated + " of " + devices + " devices updated, the"
                            + " platform recorded " + progress[1] + " installed; slices (updated failed rolled-back"
                            + " unfinished ms block-requests): " + ends + "; logs in " + dir);
                }
                double bareDevicesPerSecond = delivery.referenceFigure() * 1e6 / IMAGE;
                double peakMiB = Long.parseLong(heap[0]) / 1048576.0;
                return new Row("12", "full fleet rollout over MQTT, " + devices + " devices (a connection each, "
                        + slices + " device JVMs), 128 KiB image, check + download + verify + report; mosquitto; "
                        + "server -Xmx512m, own JVM", devices / seconds, "devices/s",
                        "row 8's bare Paho rate as devices/s (bytes/s ÷ 128 KiB)", bareDevicesPerSecond, "devices/s",
                        0.7, "≥ 0.7; heap ≤ 512 MiB", false, String.format(Locale.ROOT, "%s; %.1f s for %d devices,"
                                + " %d block requests of 4 KiB (as row 8's reference asks them); server heap"
                                + " (-Xmx512m): fullest %.0f MiB (before a GC, garbage included), largest live set %.0f MiB (after a GC), limit %.0f MiB (%s)%s", BOUND,
                                seconds, devices, blockRequests, peakMiB, Long.parseLong(heap[1]) / 1048576.0,
                                Long.parseLong(heap[2]) / 1048576.0, peakMiB <= 512 ? "met" : "not met",
                                devices < FLEET && !quick ? "; not the issue's 10,000 devices" : ""));
            } finally {
                for (ServerProcess slice : fleet) {
                    slice.close();
                }
            }
        }
    }

    /** What bounds the row, by construction (no profile taken yet). */
    static final String BOUND = "every block a request and an answer through the one broker and the platform's one"
            + " MQTT client, a thread per device connection; broker, server and devices share the 2 cores";
}
