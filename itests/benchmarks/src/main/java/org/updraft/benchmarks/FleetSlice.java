package org.updraft.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * One slice of row 12's fleet in a JVM of its own: its devices over MQTT, each with its own connection and so one
 * thread (the device's MQTT client reads its connection there). The slices share the machine's cores with the broker
 * and the platform; their heaps hold each downloading device's image slot.
 *
 * <p>It talks over standard input and output, one line each way, as {@link FleetServer} does:
 * <pre>
 * java ... FleetSlice ID-PREFIX COUNT DEVICES-FILE LOG-KEY-DID MANUFACTURER-DID BROKER-URI
 *   (makes its devices, writes "id did" lines to DEVICES-FILE) -> READY count
 *   START                   (runs the fleet's update to its end)
 *                           -> DONE updated failed rolled-back unfinished elapsed-ms block-requests
 *   STOP (or end of input)  -> the JVM exits
 * </pre>
 * What went wrong, if anything, goes to standard error with the fleet's progress.
 */
public final class FleetSlice {

    private FleetSlice() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: FleetSlice ID-PREFIX COUNT DEVICES-FILE LOG-KEY-DID MANUFACTURER-DID BROKER-URI");
            System.exit(2);
        }
        String manufacturer = args[4];
        TrustedKey trusted = new TrustedKey(manufacturer, FleetServer.VENDOR, Set.of(), KeyStatus.ACTIVE,
                Instant.EPOCH, null, null, 0);
        List<SimulatedDevice> fleet = FleetProvisioning.builder(FleetServer.VENDOR, FleetServer.CLASS, args[3],
                did -> did.equals(manufacturer) ? Optional.of(trusted) : Optional.empty()).idPrefix(args[0])
                .generate(Integer.parseInt(args[1]));
        List<String> lines = new ArrayList<>();
        for (SimulatedDevice d : fleet) {
            lines.add(d.id() + " " + d.provisioning().did());
        }
        Files.write(Path.of(args[2]), lines);
        System.out.println("READY " + fleet.size());

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        if (line == null || line.equals("STOP")) {
            return;
        }
        if (!line.equals("START")) {
            System.out.println("ERROR expected START, not '" + line + "'");
            return;
        }
        // a fleet that has not woken in one instant, as row 5's; the deadline ends a stuck run with unfinished devices
        // blocks as row 8 asks them: 4 KiB, within a 16 KiB Maximum Packet Size
        FleetConfig config = FleetConfig.mqttOnly(args[5]).blockSize(4096).mqttMaxPacketSize(16 * 1024)
                .deadline(Duration.ofMinutes(30))
                .progressInterval(Duration.ofSeconds(10)).build();
        try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
            simulator.onProgress(p -> System.err.println(args[0] + " " + p));
            FleetSummary summary = simulator.run();
            // told before the connections close (seconds for thousands): the row times the rollout, not the goodbyes
            System.out.println("DONE " + summary.updated() + " " + summary.failed() + " " + summary.rolledBack() + " "
                    + summary.unfinished() + " " + summary.elapsed().toMillis() + " " + summary.blockRequests());
            System.err.println(args[0] + " " + summary);
        }
        for (line = in.readLine(); line != null && !line.equals("STOP"); line = in.readLine()) {
            System.out.println("ERROR the fleet has run");
        }
        // the summary is out; a connection still closing must not keep the JVM (and the parent's close) waiting
        System.exit(0);
    }
}
