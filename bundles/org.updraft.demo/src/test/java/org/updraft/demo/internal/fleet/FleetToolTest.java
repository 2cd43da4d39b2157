package org.updraft.demo.internal.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.device.OneReleaseUpdates;
import org.updraft.testing.platform.DeviceApi;

/**
 * {@code bin/updraft-fleet}'s commands as the cluster demo's script runs them: provision a fleet, register it from
 * the lines it wrote, run it against two nodes of one platform (real CoAP device APIs over DTLS) and stop one of them
 * halfway.
 */
class FleetToolTest {

    @Test
    void aSummaryNamesTheMostFrequentReasonsAndCountsTheRest() {
        Map<String, Integer> reasons = new TreeMap<>();
        reasons.put("boot-failed", 7);
        for (int i = 0; i < 1000; i++) {
            reasons.put("4.03 the DTLS peer's key is not the key of device fleet-" + i, 1);
        }
        String line = FleetTool.mostFrequent(reasons, 2);
        assertTrue(line.startsWith("{boot-failed=7, 4.03 the DTLS peer's key is not the key of device fleet-0=1}"), line);
        assertTrue(line.endsWith(" and 999 other reasons (999 devices)"), line);
        assertEquals("{boot-failed=7}", FleetTool.mostFrequent(Map.of("boot-failed", 7), 5));
    }

    private static final Pattern REGISTER_LINE = Pattern.compile(
            "updraft:device-add --key (did:key:z\\w+) --vendor acme --class thermo-v2 --region (eu|us) (fleet-\\d{5})");

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private static Result tool(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = FleetTool.run(args, o, e);
        }
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Result provision(Path out, int devices) {
        return tool("provision", "--devices", String.valueOf(devices), "--vendor", OneReleaseUpdates.VENDOR,
                "--class", OneReleaseUpdates.CLASS, "--regions", "eu,us", "--out", out.toString());
    }

    @Test
    void provisionWritesSecretKeysAndOneRegistryLinePerDeviceAndNeverOverwritesThem() throws Exception {
        Path fleetDir = dir.resolve("fleet");
        Result made = provision(fleetDir, 5);

        assertEquals(0, made.exit(), made.err());
        Path devices = fleetDir.resolve("devices.txt");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(devices)));
        List<String> lines = Files.readAllLines(fleetDir.resolve("register.karaf"));
        assertEquals(5, lines.size());
        FleetTool.Fleet fleet = FleetTool.readFleet(fleetDir);
        assertEquals(OneReleaseUpdates.VENDOR, fleet.vendor());
        for (int i = 0; i < 5; i++) {
            Matcher m = REGISTER_LINE.matcher(lines.get(i));
            assertTrue(m.matches(), lines.get(i));
            FleetProvisioning.Member member = fleet.members().get(i);
            // the registered key is the one the device signs with
            assertEquals(member.key().did(), m.group(1));
            assertEquals(i % 2 == 0 ? "eu" : "us", m.group(2));
            assertEquals(String.format("fleet-%05d", i), m.group(3));
            assertEquals(m.group(2), member.region());
        }
        // the private keys are in the file and nowhere in the output
        String keys = Files.readString(devices);
        for (String line : keys.split("\n")) {
            if (line.startsWith("device ")) {
                String seed = line.split(" ")[3];
                assertFalse(made.out().contains(seed) || made.err().contains(seed));
            }
        }

        Result again = provision(fleetDir, 3);

        assertEquals(1, again.exit());
        assertTrue(again.err().contains("devices.txt exists"), again.err());
        assertEquals(1, again.err().lines().count(), again.err());
        assertEquals(keys, Files.readString(devices), "the first fleet's keys are kept");
    }

    @Test
    void badOptionsGetOneLineAndExitCodeOne() throws Exception {
        Path fleetDir = dir.resolve("fleet");
        assertEquals(0, provision(fleetDir, 2).exit());
        String did = SigningKey.generate(KeyAlgorithm.ED25519).did();
        Path trust = dir.resolve("maker.pub");
        KeyFiles.writePublicKey(trust, VerificationKey.fromDid(did));
        List<String> good = List.of("run", "--fleet", fleetDir.toString(), "--node", "127.0.0.1:5684", "--dtls-key",
                did, "--log-key", did, "--statement-key", did, "--trust", trust.toString());

        assertFails(without(good, "--node"), "no --node HOST:PORT");
        assertFails(with(good, "--trust", dir.resolve("missing.pub").toString()), "option --trust: no public key file");
        assertFails(with(good, "--dtls-key", "did:key:zNotAKey"), "option --dtls-key: not an Ed25519 or P-256 did:key");
        assertFails(with(good, "--fleet", dir.resolve("nothing").toString()), "option --fleet: no ");
        assertFails(with(good, "--node", "127.0.0.1"), "is not HOST:PORT");
        assertFails(with(good, "--loss", "1.5"), "option --loss: a share from 0 to below 1");
        List<String> unknown = new ArrayList<>(good);
        unknown.addAll(List.of("--speed", "9"));
        assertFails(unknown, "unknown option --speed");
        assertFails(List.of("provision", "--devices", "0", "--vendor", "acme", "--class", "c", "--out", "x"),
                "option --devices: a whole number from 1 to 1000000");
        assertFails(List.of("deploy"), "unknown command 'deploy'");
    }

    private static void assertFails(List<String> args, String message) {
        Result r = tool(args.toArray(String[]::new));
        assertEquals(1, r.exit(), args + ": " + r.out() + r.err());
        assertTrue(r.err().startsWith("updraft-fleet: ") && r.err().contains(message), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    private static List<String> without(List<String> args, String option) {
        List<String> result = new ArrayList<>(args);
        int i = result.indexOf(option);
        result.remove(i + 1);
        result.remove(i);
        return result;
    }

    private static List<String> with(List<String> args, String option, String value) {
        List<String> result = new ArrayList<>(args);
        int i = result.indexOf(option);
        if (i < 0) {
            result.addAll(List.of(option, value));
        } else {
            result.set(i + 1, value);
        }
        return result;
    }

    @Test
    void devicesThePlatformRefusesEndAsFailedWithTheReason() throws Exception {
        try (OneReleaseUpdates platform = new OneReleaseUpdates(dir.resolve("platform"), 4096, false, true)) {
            Path fleetDir = dir.resolve("fleet");
            assertEquals(0, provision(fleetDir, 3).exit());
            // never registered: the platform refuses their checks
            Path progress = dir.resolve("progress");

            Result r = tool("run", "--fleet", fleetDir.toString(), "--node", "127.0.0.1:"
                    + platform.dtlsAddress().getPort(), "--dtls-key", platform.dtlsKey(), "--log-key",
                    platform.ledger.logKey(), "--statement-key", platform.statementKey(), "--trust",
                    platform.manufacturerDid(), "--timeout", "60", "--progress-file", progress.toString(),
                    "--start-spread", "0");

            assertEquals(0, r.exit(), r.out() + r.err());
            assertEquals("updated=0 rolledBack=0 failed=3 waiting=0 total=3 moves=0",
                    Files.readString(progress).strip());
            assertTrue(r.out().contains("summary: 3 devices in ") && r.out().contains("0 updated, 0 rolled back, 3"
                    + " failed"), r.out());
            assertTrue(r.out().contains("the platform refused its update check: 4.03"), r.out());
        }
    }

    @Test
    void aFleetWaitsForItsRolloutAndFinishesWhenOneOfTwoNodesDiesHalfway() throws Exception {
        int devices = 30;
        int imageSize = 64 * 1024;
        try (OneReleaseUpdates platform = new OneReleaseUpdates(dir.resolve("platform"), imageSize, false, true)) {
            DeviceApi nodeA = platform.deviceApi();
            DeviceApi nodeB = platform.serveAnotherNode();
            Path fleetDir = dir.resolve("fleet");
            assertEquals(0, provision(fleetDir, devices).exit());
            // registered as the lead's script does it: the lines of register.karaf
            for (String line : Files.readAllLines(fleetDir.resolve("register.karaf"))) {
                Matcher m = REGISTER_LINE.matcher(line);
                assertTrue(m.matches(), line);
                platform.register(m.group(3), m.group(1));
            }
            Path trust = dir.resolve("maker.pub");
            KeyFiles.writePublicKey(trust, VerificationKey.fromDid(platform.manufacturerDid()));
            Path progress = dir.resolve("progress");
            // no rollout yet: the devices must keep checking until one starts
            platform.hold(true);
            String a = "127.0.0.1:" + nodeA.dtlsAddress().getPort();
            String b = "127.0.0.1:" + nodeB.dtlsAddress().getPort();
            CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> tool("run", "--fleet",
                    fleetDir.toString(), "--node", a, "--node", b, "--dtls-key", platform.dtlsKey(), "--log-key",
                    platform.ledger.logKey(), "--statement-key", platform.statementKey(), "--trust", trust.toString(),
                    "--boot-failures", "0.2", "--timeout", "120", "--progress-file", progress.toString(),
                    "--progress-every", "1", "--poll", "1", "--ack-timeout", "100", "--start-spread", "0", "--seed",
                    "3"));

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(progress) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("updated=0 rolledBack=0 failed=0 waiting=30 total=30 moves=0",
                    Files.readString(progress).strip());
            Thread.sleep(2500);
            assertEquals(0, platform.bytesServed.get());
            platform.hold(false);
            long total = (long) devices * imageSize;
            while (platform.bytesServed.get() < total / 4 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            nodeA.close();
            long servedWhenADied = platform.bytesServed.get();

            Result r = run.get(150, TimeUnit.SECONDS);
            System.out.println(r.out() + r.err());

            assertTrue(servedWhenADied < total, "node A died before the fleet was done");
            assertEquals(0, r.exit(), r.out() + r.err());
            Matcher end = Pattern.compile("updated=(\\d+) rolledBack=(\\d+) failed=0 waiting=0 total=30 moves=(\\d+)")
                    .matcher(Files.readString(progress).strip());
            assertTrue(end.matches(), Files.readString(progress));
            int updated = Integer.parseInt(end.group(1));
            int rolledBack = Integer.parseInt(end.group(2));
            assertEquals(devices, updated + rolledBack);
            assertTrue(rolledBack > 0, "boot failures injected: " + r.out());
            assertTrue(Long.parseLong(end.group(3)) > 0, "devices of A moved to B: " + r.out());
            Matcher endedOn = Pattern.compile("ended on: 127\\.0\\.0\\.1:\\d+ (\\d+), 127\\.0\\.0\\.1:\\d+ (\\d+)")
                    .matcher(r.out());
            assertTrue(endedOn.find(), r.out());
            assertEquals(devices, Integer.parseInt(endedOn.group(1)) + Integer.parseInt(endedOn.group(2)));
            assertTrue(Integer.parseInt(endedOn.group(2)) > devices / 2, r.out());
            assertTrue(r.out().contains("summary: 30 devices"), r.out());
            // what the devices said is what the platform recorded
            assertEquals(updated, platform.reports.stream()
                    .filter(rep -> rep.state() == org.updraft.api.device.DeviceState.INSTALLED).count());
            assertTrue(Arrays.stream(r.out().split("\n")).anyMatch(l -> l.contains("| on " + a)), r.out());
        }
    }
}
