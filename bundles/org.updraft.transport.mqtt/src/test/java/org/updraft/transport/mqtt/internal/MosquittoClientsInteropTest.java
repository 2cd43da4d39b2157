package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;

/**
 * Interoperability with MQTT clients written by others: mosquitto's {@code mosquitto_rr} (MQTT 5 request/response)
 * fetches an offer, and {@code mosquitto_sub} finds the offer retained on the device's offer topic (Debian package
 * mosquitto-clients, installed by .ci/setup).
 */
class MosquittoClientsInteropTest {

    @TempDir
    Path dir;

    private Mosquitto broker;
    private TestPlatform platform;
    private MqttTransport transport;
    private Release release;

    @BeforeEach
    void start() throws Exception {
        broker = Mosquitto.start(dir.resolve("broker"));
        platform = new TestPlatform(dir.resolve("platform"));
        release = platform.publish(SeededContent.bytes(5, 10_000), 3);
        platform.register("dev-1");
        transport = new MqttTransport(Configs.of(MqttTransportConfig.class, Map.of("broker.uri", broker.uri(),
                "client.id", "platform-interop")), platform.updates);
        transport.bindStore(platform.store);
        transport.bindReleases(platform.releases);
        long deadline = System.currentTimeMillis() + 15_000;
        while (!transport.isReady() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
    }

    @AfterEach
    void stop() throws Exception {
        transport.close();
        platform.close();
        broker.close();
    }

    @Test
    void mosquittoRrFetchesAnOfferAndMosquittoSubFindsItRetained() throws Exception {
        Rollout rollout = platform.rollout(release);
        // the first offer is recorded on the ledger; from then on the answer stays the same
        platform.updates.check("dev-1", 1);
        // mosquitto_rr 2.0.11 sends an empty payload for -f FILE and -s: the CBOR goes in -m, by the shell's printf
        StringBuilder octal = new StringBuilder();
        for (byte b : Cbor.encode(Map.of("seq", 1L))) {
            octal.append(String.format("\\%03o", b & 0xff));
        }
        byte[] answer = run("/bin/sh", "-c", Mosquitto.program("mosquitto_rr") + " -V mqttv5 -h 127.0.0.1 -p "
                + broker.port() + " -i dev-1 -q 1 -t updraft/up/dev-1/check -e updraft/down/dev-1/answers"
                + " -m \"$(printf '" + octal + "')\" -N -W 10");
        assertArrayEquals(UpdateAnswers.encode(platform.updates.check("dev-1", 1)),
                MqttTransportTest.withoutStatement(answer, "dev-1", new byte[0], platform.updates));
        DeviceAnswer.Offer offer = assertInstanceOf(DeviceAnswer.Offer.class, UpdateAnswers.decode(answer));
        assertEquals(rollout.id(), offer.rolloutId());

        byte[] retained = run(Mosquitto.program("mosquitto_sub"), "-V", "mqttv5", "-h", "127.0.0.1",
                "-p", Integer.toString(broker.port()), "-i", "dev-1-watch", "-q", "1",
                "-t", "updraft/down/dev-1/offer", "-C", "1", "-W", "10", "-N");
        // the same answer, with a statement of its own: signed when the offer was retained, for nobody's nonce
        assertArrayEquals(MqttTransportTest.withoutStatement(answer, "dev-1", new byte[0], platform.updates),
                MqttTransportTest.withoutStatement(retained, "dev-1", new byte[0], platform.updates),
                "the retained offer is the check's answer");
    }

    /** Runs a client; its standard output, the payload it received. */
    private byte[] run(String... command) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".bin");
        Path err = Files.createTempFile(dir, "err", ".txt");
        List<String> line = new ArrayList<>(List.of(command));
        Process process = new ProcessBuilder(line).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", line) + " did not end");
        }
        assertEquals(0, process.exitValue(), () -> String.join(" ", line) + " failed: "
                + readString(err) + "\nbroker log:\n" + broker.log());
        return Files.readAllBytes(out);
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.getMessage();
        }
    }
}
