package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.ops4j.pax.exam.Option;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.transport.TransportStatus;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.update.SignedReport;

/**
 * Fleets updated through a mosquitto of the test's own, inside the distribution: the platform's MQTT transport
 * (feature updraft-transport-mqtt) is configured before Karaf starts with the broker's port, and {@code updraft:demo
 * --transport ...} drives simulated devices that connect one by one to the same broker. What the devices did is
 * checked against the platform's own records: the rollout and the ledger.
 */
public abstract class MqttFleetTestBase extends UpdraftTestSupport {

    /** Chosen in the test driver's JVM before Karaf starts; the container reads it back from the configuration. */
    private static final int BROKER_PORT = freePort();
    private static BrokerProcess broker;

    @Override
    protected Option[] additionalOptions() {
        return new Option[] {
            editConfigurationFilePut("etc/org.updraft.transport.mqtt.cfg", "broker.uri",
                    "tcp://127.0.0.1:" + BROKER_PORT),
            editConfigurationFilePut("etc/org.updraft.transport.mqtt.cfg", "client.id", "updraft-itest"),
            editConfigurationFilePut("etc/org.updraft.ledger.local.cfg", "fsync", "false") };
    }

    /**
     * The class's broker, started on first use on the configured port (one for every test of the class, as Karaf is),
     * and the MQTT transport installed and connected to it. The broker stops with the container's JVM.
     */
    protected synchronized BrokerProcess broker() throws Exception {
        if (broker == null) {
            String uri = String.valueOf(configurationAdmin.getConfiguration("org.updraft.transport.mqtt", null)
                    .getProperties().get("broker.uri")).strip();
            int port = Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
            // under the container's data folder, inside target/
            broker = new BrokerProcess(Path.of(System.getProperty("karaf.data"), "mosquitto"), port).start();
            BrokerProcess started = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        if (!isFeatureInstalled("updraft-transport-mqtt")) {
            installFeatures("updraft-transport-mqtt");
        }
        awaitConnected();
        return broker;
    }

    /** Waits until the MQTT transport says it is connected to the broker. */
    protected TransportStatus awaitConnected() {
        TransportStatus mqtt = waitForService(TransportStatus.class, "(component.name=*MqttTransport)",
                SERVICE_TIMEOUT);
        await("the MQTT transport connected to " + broker.uri(), Duration.ofSeconds(90),
                () -> mqtt.status().startsWith("connected to " + broker.uri()), mqtt::status);
        return mqtt;
    }

    /** The demo's rollout: the latest one, completed. */
    protected static Rollout completedRollout(RolloutService rollouts, String out) {
        List<Rollout> all = rollouts.list();
        Rollout rollout = all.get(all.size() - 1);
        assertEquals(out, RolloutState.COMPLETED, rollout.state());
        return rollout;
    }

    /**
     * Every device of the rollout was offered the release once and sent one final report, {@code installed}: the
     * ledger holds exactly one offer event and one installed report per device, whatever was repeated on the way.
     * The demo must run with {@code --success 100}: at a lower threshold the last wave completes the rollout as soon
     * as enough devices installed, and a device that had not asked by then is never offered (seen: 98 of 100).
     */
    protected void assertOneOfferAndOneInstalledReportPerDevice(String rolloutId, int devices) throws Exception {
        Map<String, Integer> offers = new HashMap<>();
        for (LedgerEntry entry : ledgerEvents(EventTypes.ROLLOUT_OFFERED)) {
            RolloutEvents.Offered offered = (RolloutEvents.Offered) RolloutEvents.decode(entry.event().type(),
                    entry.event().payload());
            if (offered.rollout().equals(rolloutId)) {
                offers.merge(offered.device(), 1, Integer::sum);
            }
        }
        Map<String, Integer> finals = new HashMap<>();
        Map<String, DeviceState> last = new HashMap<>();
        for (LedgerEntry entry : ledgerEvents(EventTypes.DEVICE_REPORTED)) {
            SignedReport report = DeviceEvents.decodeReported(entry.event().payload());
            if (rolloutId.equals(report.report().rolloutId())) {
                DeviceState state = report.report().state();
                last.put(report.report().deviceId(), state);
                if (state.isFinal()) {
                    finals.merge(report.report().deviceId(), 1, Integer::sum);
                }
            }
        }
        assertEquals("devices offered the release", devices, offers.size());
        assertTrue("one offer per device: " + offers, offers.values().stream().allMatch(n -> n == 1));
        assertEquals("devices with a final report", devices, finals.size());
        assertTrue("one final report per device: " + finals, finals.values().stream().allMatch(n -> n == 1));
        assertTrue("every device installed: " + last, last.values().stream().allMatch(s -> s == DeviceState.INSTALLED));
    }

    /** How many devices whose id starts with {@code idPrefix} connected to the broker, by its log. */
    protected static long devicesConnected(BrokerProcess broker, String idPrefix) {
        return broker.log().lines().filter(l -> l.contains("New client connected") && l.contains(" as " + idPrefix))
                .map(l -> l.substring(l.indexOf(" as ") + 4).split(" ")[0]).distinct().count();
    }
}
