package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LorawanDemoIT extends UpdraftTestSupport {

    private static final String PID = "org.updraft.transport.lorawan";

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
            assertTrue(out, out.contains("fragments  "));
            assertTrue(out, out.contains("of the bound"));
            assertTrue(out, out.contains("consistent: "));

            // the ledger and registry: every device the demo counts as completed reported, and is installed
            Matcher cls = Pattern.compile("updraft-demo/(demo-[0-9-]+)/2").matcher(out);
            assertTrue(out, cls.find());
            DeviceRegistry registry = waitForService(DeviceRegistry.class);
            List<Device> fleet = registry.list(DeviceFilter.ALL.withDeviceClass(cls.group(1))
                    .withTags(Set.of("lorawan")), null, 100);
            assertEquals(50, fleet.size());
            long installed = fleet.stream().filter(d -> d.state() == DeviceState.INSTALLED
                    && d.installedSequence() == 2).count();
            assertEquals(out, completed, installed);
            long reported = ledgerEvents(EventTypes.DEVICE_REPORTED).stream().filter(e -> fleet.stream().anyMatch(
                    d -> new String(e.event().payload(), StandardCharsets.ISO_8859_1).contains(d.id()))).count();
            assertTrue("device.reported events of the demo's devices: " + reported, reported >= installed);
        } finally {
            uninstallFeatures("updraft-transport-lorawan");
            broker.close();
        }
    }
}
