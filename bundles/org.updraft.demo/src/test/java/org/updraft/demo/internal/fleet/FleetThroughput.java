package org.updraft.demo.internal.fleet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.updraft.device.SimulatedDevice;
import org.updraft.device.OneReleaseUpdates;

/**
 * Measures a fleet against the real CoAP transport in one JVM (server and devices share the machine's cores).
 * Not a test: run by hand, e.g. with arguments {@code 1000 65536 1024 0.05} (devices, image bytes, block size,
 * loss share).
 */
public final class FleetThroughput {

    public static void main(String[] args) throws Exception {
        int devices = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int imageSize = args.length > 1 ? Integer.parseInt(args[1]) : 64 * 1024;
        int blockSize = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        double loss = args.length > 3 ? Double.parseDouble(args[3]) : 0.05;
        Path dir = Files.createTempDirectory("fleet-throughput");
        try (OneReleaseUpdates platform = new OneReleaseUpdates(dir, imageSize, false)) {
            List<SimulatedDevice> fleet = FleetProvisioning.builder(OneReleaseUpdates.VENDOR, OneReleaseUpdates.CLASS,
                    platform.ledger.logKey(), platform.trust()).regions(List.of("eu", "us", "ap")).generate(devices);
            fleet.forEach(platform::register);
            FleetConfig config = FleetConfig.builder(platform.address()).blockSize(blockSize).lossShare(loss)
                    .bootFailureShare(0.02).corruptShare(0.01).offline(0.02, Duration.ofSeconds(2))
                    .startSpread(Duration.ofSeconds(2)).progressInterval(Duration.ofSeconds(5)).build();
            System.out.println(config);
            try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
                FleetSummary summary = simulator.onProgress(System.out::println).run();
                System.out.println(summary);
                System.out.printf("platform served %.2f MiB; %d block requests/s%n",
                        platform.bytesServed.get() / 1048576.0,
                        summary.blockRequests() * 1000 / Math.max(1, summary.elapsed().toMillis()));
            }
        }
    }
}
