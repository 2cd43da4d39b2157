package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;

/**
 * {@code updraft:demo --transport lorawan} in the distribution: refused, naming what to do, while feature
 * updraft-transport-lorawan is not installed and while its transport is configured for another broker; then, with the
 * feature installed and configured for a mosquitto of the test's own, the demo runs a FUOTA session to 50 simulated
 * LoRaWAN devices losing 20% of their frames each way, and the ledger and registry show the outcome: every device the
 * demo counts as completed is installed in the registry at the new sequence, with its signed report on the ledger.
 * With {@code --multicast} the transport runs a multicast session through the demo's simulated ChirpStack REST API
 * ({@link #theMulticastDemoRunsAGroupSessionThroughTheSimulatedChirpstackApi}): the JDK's HTTP server it runs on must
 * resolve inside Karaf.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LorawanDemoIT extends UpdraftTestSupport {

    private static final String PID = "org.updraft.transport.lorawan";
    private static final String FEATURE = "updraft-transport-lorawan";
    /** The settings the multicast test changes, and restores at its end. */
    private static final List<String> MULTICAST_TEST_SETTINGS = List.of("broker.uri", "application.id",
            "clock.speedup", "max.attempts", "repair.rounds", "multicast.enabled", "api.uri", "api.token.file",
            "multicast.keys.file", "multicast.address");

    @Test
    public void theLorawanDemoRunsAFuotaSessionThroughTheFeatureAndTheLedgerShowsIt() throws Exception {
        int port = freePort();
        Path data = Path.of(System.getProperty("karaf.data"));
        BrokerProcess broker = new BrokerProcess(data.resolve("mosquitto-lorawan-demo"), port).start();
        try {
            String missing = executeCommandExpectingFailure("updraft:demo --transport lorawan --devices 5 --broker "
                    + broker.uri());
            assertTrue(missing, missing.contains("feature:install updraft-transport-lorawan"));

            installFeatures("updraft-transport-lorawan");
            // 500 times faster than real: the demo's network is simulated; at 20% loss each way a status round trip
            // fails a third of the time, so each device gets 8 tries
            editConfigFile(PID, Map.of("broker.uri", broker.uri(), "application.id", "updraft-demo",
                    "clock.speedup", "500", "max.attempts", "8", "repair.rounds", "8"));
            await("the LoRaWAN transport connected", Duration.ofSeconds(60),
                    () -> executeCommand("updraft:status").contains("connected to " + broker.uri()));

            String elsewhere = executeCommandExpectingFailure("updraft:demo --transport lorawan --devices 5 --broker "
                    + "tcp://127.0.0.1:1");
            assertTrue(elsewhere, elsewhere.contains("is not the broker of the platform's LoRaWAN transport"));

            String out = executeCommand("updraft:demo --transport lorawan --devices 50 --loss 0.2 --broker "
                    + broker.uri() + " --timeout 400", Duration.ofSeconds(480));
            System.out.println(out);
            Matcher devices = Pattern.compile("devices    50: (\\d+) completed").matcher(out);
            assertTrue(out, devices.find());
            int completed = Integer.parseInt(devices.group(1));
            assertTrue(out, completed >= 45);
            // at least 90% (the demo's success threshold) installed: the rollout completed on its own
            assertTrue(out, Pattern.compile("rollout +\\S+ completed; on the ledger").matcher(out).find());
            assertTrue(out, out.contains("fragments  "));
            assertTrue(out, out.contains("of the bound"));
            assertTrue(out, out.contains("consistent: "));

            // the ledger and registry: every device the demo counts as completed reported, and is installed
            assertCompletedDevicesInstalledAndReported(out, 50, completed);
        } finally {
            uninstallFeatures("updraft-transport-lorawan");
            broker.close();
        }
    }

    /**
     * {@code updraft:demo --transport lorawan --multicast}: refused, naming the settings, while the transport's
     * multicast sessions are off, and refused, leaving it as it was, while multicast.keys.file names the operator's
     * own key file; then, with multicast on (api.uri on a free loopback port, token and key files under karaf.data), a
     * multicast session to 20 devices at 20% loss each way through the simulated ChirpStack's REST API, which the demo
     * serves there with the JDK's HTTP server inside Karaf: most devices installed in the registry with their reports
     * on the ledger, and the group created and deleted. The transport's configuration is restored at the end.
     */
    @Test
    public void theMulticastDemoRunsAGroupSessionThroughTheSimulatedChirpstackApi() throws Exception {
        Path data = Path.of(System.getProperty("karaf.data"));
        Path cfg = Path.of(System.getProperty("karaf.etc"), PID + ".cfg");
        BrokerProcess broker = new BrokerProcess(data.resolve("mosquitto-lorawan-multicast"), freePort()).start();
        boolean installedBefore = isFeatureInstalled(FEATURE);
        Properties before = null;
        try {
            installFeatures(FEATURE);
            before = settings(Files.readString(cfg));
            // 50 times faster than real, not 500: the transport sizes the group's Class C window in simulated time,
            // and the unicast setup before it waits on real broker round trips, which at 500 outlast the window (at
            // 100, 1 of 20 devices and 9 of 50 were still in setup when it closed)
            editConfigFile(PID, Map.of("broker.uri", broker.uri(), "application.id", "updraft-demo",
                    "clock.speedup", "50", "max.attempts", "8", "repair.rounds", "8", "multicast.enabled", "false"));
            awaitTransport(broker, false);
            String demo = "updraft:demo --transport lorawan --multicast --devices 20 --loss 0.2 --broker " + broker.uri();

            String off = executeCommandExpectingFailure(demo);
            for (String setting : List.of("multicast.enabled = true", "api.uri", "loopback", "api.token.file",
                    "multicast.keys.file", "multicast.address")) {
                assertTrue(setting + " in: " + off, off.contains(setting));
            }

            Path dir = Files.createDirectories(data.resolve("lorawan-multicast-demo"));
            String token = "demo-api-token-" + Long.toHexString(System.nanoTime());
            Path tokenFile = secret(dir.resolve("api-token"), token + "\n");
            Path operators = secret(dir.resolve("operator-keys"), "# our fleet\n70B3D5AA00000001 "
                    + "5a".repeat(16) + "\n");
            String operatorsBefore = Files.readString(operators);
            Path keys = dir.resolve("mc-root-keys");
            int apiPort = freePort();
            editConfigFile(PID, Map.of("multicast.enabled", "true", "api.uri", "http://127.0.0.1:" + apiPort,
                    "api.token.file", tokenFile.toString(), "multicast.keys.file", operators.toString(),
                    "multicast.address", "0a0b0c0d"));
            awaitTransport(broker, true);

            String foreign = executeCommandExpectingFailure(demo);
            assertTrue(foreign, foreign.contains("was not written by updraft:demo"));
            assertEquals("the operator's key file is left as it was", operatorsBefore, Files.readString(operators));
            String unicast = executeCommandExpectingFailure("updraft:demo --transport lorawan --devices 5 --broker "
                    + broker.uri());
            assertTrue(unicast, unicast.contains("--multicast"));

            editConfigFile(PID, Map.of("multicast.keys.file", keys.toString()));
            awaitTransport(broker, true);
            String out = executeCommand(demo + " --timeout 400", Duration.ofSeconds(480));
            System.out.println(out);
            Matcher devices = Pattern.compile("devices    20: (\\d+) completed").matcher(out);
            assertTrue(out, devices.find());
            int completed = Integer.parseInt(devices.group(1));
            assertTrue(out, completed >= 18);
            assertTrue(out, out.contains("multicast-group REST API at http://127.0.0.1:" + apiPort));
            assertTrue(out, out.contains("multicast  groups created 1, deleted 1 (the group was deleted"));
            Matcher enqueued = Pattern.compile("(\\d+) frames enqueued for the group").matcher(out);
            assertTrue(out, enqueued.find() && Integer.parseInt(enqueued.group(1)) > 0);
            assertTrue(out, out.contains("of the bound"));
            assertTrue(out, out.contains("consistent: "));

            // the keys: the demo's file, owner-only, one line per device; neither they nor the token are printed
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
            List<String> lines = Files.readAllLines(keys);
            assertTrue(lines.get(0), lines.get(0).startsWith("# written by updraft:demo"));
            assertEquals(21, lines.size());
            for (String line : lines.subList(1, lines.size())) {
                assertTrue("a McRootKey in the output", !out.contains(line.split(" ")[1]));
            }
            assertTrue("the token in the output", !out.contains(token));
            assertTrue("the token in karaf.log", !Files.readString(data.resolve("log/karaf.log")).contains(token));

            // the ledger and registry: every device the demo counts as completed reported, and is installed
            assertCompletedDevicesInstalledAndReported(out, 20, completed);
        } finally {
            try {
                if (before != null) {
                    restore(cfg, before);
                }
            } finally {
                if (!installedBefore) {
                    uninstallFeatures(FEATURE);
                }
                broker.close();
            }
        }
    }

    /** Waits until the transport runs with the configuration just made (multicast on or off) and reached the broker. */
    private void awaitTransport(BrokerProcess broker, boolean multicast) {
        await("the LoRaWAN transport with multicast.enabled=" + multicast + " connected", Duration.ofSeconds(60), () ->
                !serviceReferences("org.updraft.api.transport.TransportStatus", "(&(multicast.enabled=" + multicast
                        + ")(broker.uri=" + broker.uri() + "))").isEmpty()
                        && executeCommand("updraft:status").contains("connected to " + broker.uri()));
    }

    /** The settings the multicast test changes, as the file had them. */
    private static Properties settings(String cfgText) throws IOException {
        Properties all = new Properties();
        all.load(new StringReader(cfgText));
        Properties some = new Properties();
        for (String key : MULTICAST_TEST_SETTINGS) {
            some.setProperty(key, all.getProperty(key, "").strip());
        }
        return some;
    }

    /**
     * Puts the settings back in the file as they were, and waits until Config Admin has them (file install may write
     * its own state back over an edit made while it handles the last one: then the edit is made again).
     */
    private void restore(Path cfg, Properties before) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            String text = Files.readString(cfg);
            for (String key : before.stringPropertyNames()) {
                Pattern setting = Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s*=.*$");
                String line = key + " = " + before.getProperty(key);
                text = setting.matcher(text).find() ? setting.matcher(text).replaceAll(Matcher.quoteReplacement(line))
                        : text + (text.endsWith("\n") ? "" : "\n") + line + "\n";
            }
            Files.writeString(cfg, text);
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < until) {
                if (configured(before)) {
                    return;
                }
                Thread.sleep(100);
            }
            assertTrue("Config Admin never took back " + before + " from " + cfg, System.nanoTime() < deadline);
        }
    }

    private boolean configured(Properties expected) throws Exception {
        org.osgi.service.cm.Configuration[] found = configurationAdmin.listConfigurations("(service.pid=" + PID
                + ")");
        if (found == null || found[0].getProperties() == null) {
            return false;
        }
        for (String key : expected.stringPropertyNames()) {
            Object value = found[0].getProperties().get(key);
            if (!expected.getProperty(key).equals(value == null ? "" : String.valueOf(value).strip())) {
                return false;
            }
        }
        return true;
    }

    private static Path secret(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.writeString(file, content);
    }

    /**
     * The ledger and registry after a demo run: the demo's {@code devices} devices (their class read from its output)
     * are registered, the {@code completed} it counts are installed at the new sequence, each with its signed report on
     * the ledger.
     */
    private void assertCompletedDevicesInstalledAndReported(String out, int devices, int completed) throws Exception {
        Matcher cls = Pattern.compile("updraft-demo/(demo-[0-9-]+)/2").matcher(out);
        assertTrue(out, cls.find());
        DeviceRegistry registry = waitForService(DeviceRegistry.class);
        List<Device> fleet = registry.list(DeviceFilter.ALL.withDeviceClass(cls.group(1))
                .withTags(Set.of("lorawan")), null, 100);
        assertEquals(devices, fleet.size());
        long installed = fleet.stream().filter(d -> d.state() == DeviceState.INSTALLED
                && d.installedSequence() == 2).count();
        assertEquals(out, completed, installed);
        long reported = ledgerEvents(EventTypes.DEVICE_REPORTED).stream().filter(e -> fleet.stream().anyMatch(
                d -> new String(e.event().payload(), StandardCharsets.ISO_8859_1).contains(d.id()))).count();
        assertTrue("device.reported events of the demo's devices: " + reported, reported >= installed);
    }
}
