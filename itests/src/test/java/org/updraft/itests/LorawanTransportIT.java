package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

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
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;

/**
 * The LoRaWAN transport in the distribution: feature updraft-transport-lorawan installs from system/ (Paho inside the
 * bundle), its component connects to a mosquitto of the test's own as configured in the file the feature wrote, and a
 * rollout that targets a device tagged lorawan starts a FUOTA session for it: its first downlink (TS004's
 * FragSessionSetupReq on port 201) is published on ChirpStack's command topic of that device. The device's signed
 * report, published as report frames on its uplink topic, reaches the update service: the ledger records it and the
 * registry shows the device installed. (The whole session with verifying devices runs in the bundle's
 * LorawanTransportTest; the simulated devices are private to the bundle.)
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LorawanTransportIT extends UpdraftTestSupport {

    private static final String PID = "org.updraft.transport.lorawan";
    private static final String APP = "updraft-it";

    @Test
    public void aRolloutStartsASessionForTheTaggedDeviceAndItsReportUplinkLandsOnTheLedger() throws Exception {
        int port = freePort();
        Path data = Path.of(System.getProperty("karaf.data"));
        BrokerProcess broker = new BrokerProcess(data.resolve("mosquitto-lorawan"), port).start();
        Process downlinks = null;
        try {
            installFeatures("updraft-transport-lorawan");
            // the session's answer timeouts pass 50 times faster: nobody answers but the report
            editConfigFile(PID, Map.of("broker.uri", "tcp://127.0.0.1:" + port, "client.id", "updraft-lorawan-it",
                    "application.id", APP, "clock.speedup", "50"));
            // the new configuration replaces the component (and its service) that the feature's defaults started
            await("the LoRaWAN transport connected", Duration.ofSeconds(60),
                    () -> status().startsWith("connected to tcp://127.0.0.1:" + port), this::status);

            // ChirpStack's side: the first downlink of any device of the application
            Path first = data.resolve("lorawan-downlink.json");
            downlinks = new ProcessBuilder(BrokerProcess.program("mosquitto_sub"), "-h", "127.0.0.1", "-p",
                    String.valueOf(port), "-q", "1", "-t", "application/" + APP + "/device/+/command/down", "-C", "1",
                    "-W", "120").redirectOutput(first.toFile()).redirectErrorStream(false).start();
            Thread.sleep(500);

            SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
            String vendor = "lora" + Long.toHexString(System.nanoTime());
            waitForService(TrustStore.class).register(vendorKey.did(), vendor, Set.of());
            Path image = data.resolve("lorawan-fw.bin");
            byte[] bytes = new byte[1500];
            new Random(7).nextBytes(bytes);
            Files.write(image, bytes);
            MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
            Manifest manifest = new Manifest(vendor, "sensor", null, "1.0.2", 2, measured.size(), measured.sha256(),
                    measured.cid(CidOptions.DEFAULT), null, Instant.now(), vendorKey.did());
            Release release = waitForService(ReleaseService.class).publish(ManifestCodec.sign(manifest, vendorKey),
                    image, "sensor", null);

            String devEui = "70b3d57ed00000" + String.format("%02x", new Random().nextInt(256));
            SigningKey deviceKey = SigningKey.generate(KeyAlgorithm.ED25519);
            DeviceRegistry registry = waitForService(DeviceRegistry.class);
            registry.register(new Device(devEui, deviceKey.did(), vendor, "sensor", null, Set.of("lorawan"), null,
                    "1.0.1", 1, DeviceState.IDLE, null, Instant.now()));
            RolloutService rollouts = waitForService(RolloutService.class);
            Rollout rollout = rollouts.start(rollouts.create(new RolloutSpec(release.id(),
                    DeviceFilter.ALL.withVendor(vendor), List.of(new WaveSpec("all", new WaveSelector.Percent(100),
                            100, 100, false, null, 0))), "it").id(), "it");

            assertTrue("mosquitto_sub ended", downlinks.waitFor(120, TimeUnit.SECONDS));
            String json = Files.readString(first).strip();
            assertTrue(json + "\n" + status(), json.contains("\"devEui\":\"" + devEui + "\""));
            assertTrue(json, json.contains("\"fPort\":201"));
            String b64 = json.replaceAll(".*\"data\":\"([^\"]*)\".*", "$1");
            // TS004's FragSessionSetupReq: command 0x02
            assertEquals(json, 0x02, Base64.getDecoder().decode(b64)[0]);

            // the device, having installed, reports in frames of 51 bytes on port 203
            byte[] report = DeviceReports.sign(new DeviceReport(devEui, rollout.id(), release.id(),
                    DeviceState.INSTALLED, null, "1.0.2", 2, Instant.now(), 1), deviceKey);
            long fCnt = 10;
            for (byte[] frame : frames(report, 51)) {
                String event = "{\"deviceInfo\":{\"applicationId\":\"" + APP + "\",\"devEui\":\"" + devEui
                        + "\"},\"fCnt\":" + fCnt++ + ",\"fPort\":203,\"data\":\""
                        + Base64.getEncoder().encodeToString(frame) + "\"}";
                publish(port, "application/" + APP + "/device/" + devEui + "/event/up", event);
            }
            await("the device installed in the registry", Duration.ofSeconds(60),
                    () -> state(registry, devEui) == DeviceState.INSTALLED, this::status);
            assertEquals(2, registry.find(devEui).orElseThrow().installedSequence());
            assertTrue("its report is on the ledger", ledgerEvents(EventTypes.DEVICE_REPORTED).stream()
                    .anyMatch(e -> new String(e.event().payload(), StandardCharsets.ISO_8859_1).contains(devEui)));
        } finally {
            if (downlinks != null) {
                downlinks.destroyForcibly();
            }
            uninstallFeatures("updraft-transport-lorawan");
            broker.close();
        }
    }

    /** The running LoRaWAN transport's status line, or why there is none. */
    private String status() {
        try {
            return waitForService(TransportStatus.class, "(component.name=*LorawanTransport)", SERVICE_TIMEOUT)
                    .status();
        } catch (RuntimeException e) {
            return "no LoRaWAN transport: " + e.getMessage();
        }
    }

    private static DeviceState state(DeviceRegistry registry, String id) {
        try {
            return registry.find(id).map(Device::state).orElse(null);
        } catch (Exception e) {
            return null;
        }
    }

    /** The report frames of docs/lorawan-api.md: report id, index, count, then the report's next bytes. */
    private static List<byte[]> frames(byte[] report, int frameSize) {
        int chunk = frameSize - 3;
        int count = (report.length + chunk - 1) / chunk;
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int len = Math.min(chunk, report.length - i * chunk);
            byte[] frame = new byte[3 + len];
            frame[0] = 1;
            frame[1] = (byte) i;
            frame[2] = (byte) count;
            System.arraycopy(report, i * chunk, frame, 3, len);
            frames.add(frame);
        }
        return frames;
    }

    private static void publish(int port, String topic, String message) throws IOException, InterruptedException {
        Process pub = new ProcessBuilder(BrokerProcess.program("mosquitto_pub"), "-h", "127.0.0.1", "-p",
                String.valueOf(port), "-q", "1", "-t", topic, "-m", message).redirectErrorStream(true).start();
        assertTrue("mosquitto_pub ended", pub.waitFor(10, TimeUnit.SECONDS));
        assertEquals(new String(pub.getInputStream().readAllBytes(), StandardCharsets.UTF_8), 0, pub.exitValue());
    }
}
