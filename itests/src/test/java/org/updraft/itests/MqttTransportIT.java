package org.updraft.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.update.UpdateService;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.UpdateAnswers;

/**
 * The MQTT transport in the distribution: feature updraft-transport-mqtt installs from system/ with no Paho bundle
 * (Paho is inside the transport's bundle, its network modules found through ServiceLoader there), connects to a
 * mosquitto of the test's own (Debian's, installed by .ci/setup) and answers a check sent by mosquitto_rr with the
 * bytes of the update service's answer.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MqttTransportIT extends UpdraftTestSupport {

    private static final String PID = "org.updraft.transport.mqtt";

    @Test
    public void theFeatureRunsWithoutAPahoBundleAndAnswersACheckFromMosquittoRr() throws Exception {
        int port = freePort();
        // under the container's data folder, inside target/
        BrokerProcess broker = new BrokerProcess(Path.of(System.getProperty("karaf.data"), "mosquitto"), port).start();
        try {
            installFeatures("updraft-transport-mqtt");
            for (Bundle b : bundleContext.getBundles()) {
                assertTrue("a Paho bundle is installed: " + b.getSymbolicName(),
                        !b.getSymbolicName().startsWith("org.eclipse.paho"));
            }
            // as an operator does it: edit the file the feature wrote (a Configuration Admin update made before
            // Karaf's file watcher has read that file would be overwritten by its defaults)
            editConfigFile(PID, Map.of("broker.uri", "tcp://127.0.0.1:" + port, "client.id", "updraft-it"));

            String device = "mqtt-it-1";
            DeviceRegistry registry = waitForService(DeviceRegistry.class);
            if (registry.find(device).isEmpty()) {
                registry.register(new Device(device, SigningKey.generate(KeyAlgorithm.ED25519).did(), "acme",
                        "thermo", null, Set.of(), null, "1.0.0", 1, DeviceState.IDLE, null, Instant.now()));
            }
            UpdateService updates = waitForService(UpdateService.class);

            // the transport connects and subscribes a moment after its configuration: ask until it answers
            byte[][] answer = new byte[1][];
            await("an answer to mosquitto_rr's check", Duration.ofSeconds(60), () -> {
                answer[0] = check(port, device);
                return answer[0] != null;
            }, () -> componentReport() + "\nkaraf.log on MQTT:\n" + karafLogAbout("mqtt") + "\nbroker log:\n"
                    + broker.log());
            // the update service's answer, and its statement for this device (mosquitto_rr sent no nonce)
            UpdateAnswers.Decoded decoded = UpdateAnswers.decodeAnswer(answer[0]);
            AnswerStatements.check(decoded.statement(), VerificationKey.fromDid(updates.statementKey()), device,
                    new byte[0], decoded.answer(), Instant.now());
            Map<Object, Object> withoutStatement = new TreeMap<>((Map<?, ?>) Cbor.decode(answer[0]));
            withoutStatement.remove("statement");
            assertArrayEquals(UpdateAnswers.encode(updates.check(device, 1)), Cbor.encode(withoutStatement));
            assertEquals("none", withoutStatement.get("status"));
        } finally {
            uninstallFeatures("updraft-transport-mqtt");
            broker.close();
        }
    }

    /** One check by mosquitto_rr; null when no answer came (the transport is not subscribed yet). */
    private static byte[] check(int port, String device) {
        try {
            StringBuilder octal = new StringBuilder();
            for (byte b : Cbor.encode(Map.of("seq", 1L))) {
                octal.append(String.format("\\%03o", b & 0xff));
            }
            Path out = Files.createTempFile("mqtt-it", ".cbor");
            // mosquitto_rr 2.0.11 sends -f FILE empty: the payload goes in -m, made by the shell's printf
            Process rr = new ProcessBuilder("/bin/sh", "-c", BrokerProcess.program("mosquitto_rr") + " -V mqttv5 -h 127.0.0.1 -p "
                    + port + " -q 1 -t updraft/up/" + device + "/check -e updraft/down/" + device + "/answers -m \"$(printf '"
                    + octal + "')\" -N -W 3").redirectOutput(out.toFile()).redirectErrorStream(false).start();
            if (!rr.waitFor(10, TimeUnit.SECONDS)) {
                rr.destroyForcibly();
                return null;
            }
            byte[] bytes = Files.readAllBytes(out);
            Files.delete(out);
            return rr.exitValue() == 0 && bytes.length > 0 ? bytes : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private String karafLogAbout(String word) {
        try {
            StringBuilder lines = new StringBuilder();
            for (String line : readKarafFile("data/log/karaf.log").split("\n")) {
                if (line.toLowerCase().contains(word)) {
                    lines.append(line).append('\n');
                }
            }
            return lines.toString();
        } catch (IOException e) {
            return "(no karaf.log: " + e.getMessage() + ")";
        }
    }
}
