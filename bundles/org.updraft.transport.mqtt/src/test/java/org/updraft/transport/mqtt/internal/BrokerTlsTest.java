package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;

/**
 * TLS to the broker: mosquitto with a server certificate issued by a CA of the test's own (made with openssl); the
 * transport connects over ssl:// when tls.trust names that CA, and not when it trusts only the JVM's CAs.
 */
class BrokerTlsTest {

    @TempDir
    Path dir;

    private Mosquitto broker;
    private TestPlatform platform;
    private MqttTransport transport;
    private Path ca;

    @BeforeEach
    void start() throws Exception {
        Path pki = Files.createDirectories(dir.resolve("pki"));
        openssl(pki, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=updraft test CA");
        openssl(pki, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
        Files.writeString(pki.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl(pki, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
        ca = pki.resolve("ca.pem");
        broker = Mosquitto.start(dir.resolve("broker"), List.of("allow_anonymous true",
                "cafile " + ca, "certfile " + pki.resolve("server.pem"), "keyfile " + pki.resolve("server.key")));
        platform = new TestPlatform(dir.resolve("platform"));
    }

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.close();
        }
        platform.close();
        broker.close();
    }

    private MqttTransport transport(String trust) {
        MqttTransport t = new MqttTransport(Configs.of(MqttTransportConfig.class, Map.of(
                "broker.uri", "ssl://127.0.0.1:" + broker.port(), "client.id", "platform-tls", "tls.trust", trust)),
                platform.updates);
        t.bindStore(platform.store);
        t.bindReleases(platform.releases);
        return t;
    }

    @Test
    void theTransportConnectsOverTlsTrustingTheConfiguredCaOnly() throws Exception {
        transport = transport(ca.toString());
        long deadline = System.currentTimeMillis() + 15_000;
        while (!transport.isReady() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(transport.isReady(), transport.status() + "\nbroker log:\n" + broker.log());
        transport.close();

        transport = transport("");
        Thread.sleep(2_000);
        assertFalse(transport.isReady(), "connected to a broker whose CA it does not trust");
        assertTrue(transport.status().startsWith("not connected to ssl://127.0.0.1:" + broker.port()),
                transport.status());
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
    }
}
