package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.testing.Mosquitto;

/**
 * The reference device's MQTT link against mosquitto running the configuration this repository ships
 * (docs/mosquitto/: mosquitto.conf with its password file and ACL, and tls.conf, a TLS listener on which a device's
 * client certificate is its identity), read from the repository with only ports and file paths changed. A device
 * updates with its own identity; a device using another device's identity, a wrong password or a broker it does not
 * trust gets a clear refusal within seconds instead of waiting out its timeouts.
 */
class MqttLinkShippedBrokerTest {

    /** The shipped broker configuration; the test runs in the module's directory. */
    static final Path SHIPPED = Path.of("../../docs/mosquitto");

    private static final List<DeviceState> HAPPY = List.of(DeviceState.DOWNLOADING, DeviceState.DOWNLOADED,
            DeviceState.VERIFIED, DeviceState.INSTALLED);
    private static final Map<String, String> PASSWORDS = Map.of("dev-1", "secret-1", "dev-2", "secret-2");

    @TempDir
    Path dir;

    private Path pki;
    private int tlsPort;
    private Mosquitto broker;
    private OneReleaseUpdates platform;
    private MqttLink link;

    @BeforeEach
    void start() throws Exception {
        pki = Files.createDirectories(dir.resolve("pki"));
        makeCertificates();
        Path passwords = dir.resolve("passwords");
        Mosquitto.addUser(passwords, "updraft-platform", "platform-secret");
        for (Map.Entry<String, String> device : PASSWORDS.entrySet()) {
            Mosquitto.addUser(passwords, device.getKey(), device.getValue());
        }
        tlsPort = freePort();
        List<String> config = new ArrayList<>(shippedConfig(passwords));
        config.addAll(shippedTlsListener());
        broker = Mosquitto.start(dir.resolve("broker"), config);

        platform = new OneReleaseUpdates(dir.resolve("platform"), 30_000, false);
        Path credentials = dir.resolve("mqtt.credentials");
        Files.writeString(credentials, "username=updraft-platform\npassword=platform-secret\n");
        Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
        // the platform logs in on the password listener, as docs/mosquitto/README.md sets it up
        platform.serveMqtt(broker.uri(), Map.of("credentials.file", credentials.toString(),
                "client.id", "platform-shipped"));
    }

    @AfterEach
    void stop() throws Exception {
        if (link != null) {
            link.close();
        }
        if (platform != null) {
            platform.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aDeviceUpdatesWithItsOwnPasswordUnderTheShippedConfiguration() throws Exception {
        link = MqttLink.builder(broker.uri()).passwords(id -> PASSWORDS.get(id).toCharArray()).open();
        DeviceAgent agent = DeviceAgent.builder(registered("dev-1"), link).blockSize(1024).build();

        UpdateOutcome outcome = agent.update().get(30, TimeUnit.SECONDS);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome + "\nbroker log:\n" + broker.log());
        assertEquals(HAPPY, platform.statesReportedBy("dev-1"), "check, download and every report went through");
        assertEquals(30_000, agent.bytesDownloaded());
    }

    @Test
    void aWrongPasswordIsAClearRefusalNotATimeout() throws Exception {
        link = MqttLink.builder(broker.uri()).passwords(id -> "guess".toCharArray()).open();
        DeviceAgent agent = DeviceAgent.builder(registered("dev-1"), link).build();

        long started = System.nanoTime();
        DeviceAgentException e = refusal(agent);

        assertTrue(e.getMessage().contains("not-authorized: the broker refused the login of dev-1"), e.getMessage());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 5_000,
                "refused within the first attempt, not after the 10 s request timeout");
        assertEquals(List.of(), platform.statesReportedBy("dev-1"));
    }

    @Test
    void aDeviceUpdatesOverTlsWithItsClientCertificateAsItsIdentity() throws Exception {
        link = tlsLink(id -> new MqttLink.ClientCertificate(pki.resolve(id + ".pem"), pki.resolve(id + ".key")));
        DeviceAgent agent = DeviceAgent.builder(registered("dev-1"), link).blockSize(1024).build();

        UpdateOutcome outcome = agent.update().get(30, TimeUnit.SECONDS);

        assertEquals(DeviceState.INSTALLED, outcome.state(), outcome + "\nbroker log:\n" + broker.log());
        assertEquals(HAPPY, platform.statesReportedBy("dev-1"));
        assertTrue(broker.log().contains("as dev-1 (p5, c1, k30, u'dev-1')"),
                "the broker took the certificate's name as the user name:\n" + broker.log());
    }

    @Test
    void aDeviceUsingAnotherDevicesCertificateIsRefusedByTheBroker() throws Exception {
        // dev-2 (registered: the platform would answer it) connects with dev-1's certificate, so the broker knows it
        // as dev-1 and the shipped ACL lets it write only dev-1's request topics
        link = tlsLink(id -> new MqttLink.ClientCertificate(pki.resolve("dev-1.pem"), pki.resolve("dev-1.key")));
        DeviceAgent agent = DeviceAgent.builder(registered("dev-2"), link).build();

        long started = System.nanoTime();
        DeviceAgentException e = refusal(agent);

        assertTrue(e.getMessage().contains("not-authorized: the broker refused dev-2's check request on "
                + "updraft/up/dev-2/check (PUBACK reason code 135"), e.getMessage());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 5_000,
                "refused at once, not after the 10 s request timeout");
        // the broker logs the client id (dev-2) and the user name its certificate gave it (dev-1)
        assertTrue(broker.log().contains("as dev-2 (p5, c1, k30, u'dev-1')"), broker.log());
        assertTrue(broker.log().contains("Denied PUBLISH from dev-2"), broker.log());
        assertEquals(List.of(), platform.statesReportedBy("dev-2"));
    }

    @Test
    void aBrokerWhoseCertificateTheDeviceDoesNotTrustIsAClearError() throws Exception {
        // the JVM's CAs only: the test CA is not among them
        link = MqttLink.builder("ssl://127.0.0.1:" + tlsPort).clientCertificates(
                id -> new MqttLink.ClientCertificate(pki.resolve(id + ".pem"), pki.resolve(id + ".key"))).open();
        DeviceAgent agent = DeviceAgent.builder(registered("dev-1"), link).build();

        DeviceAgentException e = refusal(agent);

        assertTrue(e.getMessage().contains("not-authorized: the TLS handshake of dev-1 with the broker failed"),
                e.getMessage());
    }

    @Test
    void aBrokerCertificateForAnotherHostIsRefused() throws Exception {
        // trusted CA, but the certificate names 127.0.0.1 only, not localhost
        link = MqttLink.builder("ssl://localhost:" + tlsPort).trust(pki.resolve("ca.pem")).clientCertificates(
                id -> new MqttLink.ClientCertificate(pki.resolve(id + ".pem"), pki.resolve(id + ".key"))).open();
        DeviceAgent agent = DeviceAgent.builder(registered("dev-1"), link).build();

        DeviceAgentException e = refusal(agent);

        assertTrue(e.getMessage().contains("not-authorized: the TLS handshake of dev-1 with the broker failed"),
                e.getMessage());
        assertTrue(e.getMessage().contains("localhost"), e.getMessage());
        assertEquals(List.of(), platform.statesReportedBy("dev-1"));
    }

    @Test
    void tlsOptionsNeedAnSslBrokerUriAndUsableFiles() throws Exception {
        IllegalArgumentException plain = assertThrows(IllegalArgumentException.class,
                () -> MqttLink.builder(broker.uri()).trust(pki.resolve("ca.pem")).open());
        assertTrue(plain.getMessage().contains("need an ssl:// broker URI"), plain.getMessage());
        IllegalArgumentException notPem = assertThrows(IllegalArgumentException.class,
                () -> MqttLink.builder("ssl://127.0.0.1:" + tlsPort).trust(pki.resolve("dev-1.key")).open());
        assertTrue(notPem.getMessage().contains(pki.resolve("dev-1.key").toString()), notPem.getMessage());
    }

    private MqttLink tlsLink(java.util.function.Function<String, MqttLink.ClientCertificate> certificates) {
        return MqttLink.builder("ssl://127.0.0.1:" + tlsPort).trust(pki.resolve("ca.pem"))
                .clientCertificates(certificates).open();
    }

    private static DeviceAgentException refusal(DeviceAgent agent) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> agent.update().get(20, TimeUnit.SECONDS));
        return assertInstanceOf(DeviceAgentException.class, e.getCause(), e.toString());
    }

    private SimulatedDevice registered(String id) {
        Provisioning p = new Provisioning(id, SigningKey.generate(KeyAlgorithm.P256), OneReleaseUpdates.VENDOR,
                OneReleaseUpdates.CLASS, null, "eu-west", Set.of("beta"), platform.ledger.logKey(), platform.trust());
        SimulatedDevice device = new SimulatedDevice(p, new AbFlash("1.0.0", 1, new byte[] {1, 2, 3}), 0);
        platform.register(device);
        return device;
    }

    /**
     * docs/mosquitto/mosquitto.conf without its listener (the test's broker has one on a free loopback port), its
     * password file and ACL file lines pointing at the test's password file and the shipped ACL, its persistence
     * file in the test's directory.
     */
    private List<String> shippedConfig(Path passwords) throws Exception {
        List<String> lines = new ArrayList<>();
        int rewritten = 0;
        for (String line : Files.readAllLines(SHIPPED.resolve("mosquitto.conf"))) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("listener ")) {
                continue;
            }
            if (l.startsWith("password_file ")) {
                l = "password_file " + passwords;
                rewritten++;
            } else if (l.startsWith("acl_file ")) {
                l = "acl_file " + SHIPPED.resolve("acl").toAbsolutePath().normalize();
                rewritten++;
            }
            lines.add(l);
        }
        assertEquals(2, rewritten, "the shipped mosquitto.conf names a password_file and an acl_file: " + lines);
        assertTrue(lines.contains("allow_anonymous false"), lines.toString());
        lines.add("persistence_location " + dir.resolve("broker") + "/");
        return lines;
    }

    /** docs/mosquitto/tls.conf on a free loopback port, with the test's certificates. */
    private List<String> shippedTlsListener() throws Exception {
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(SHIPPED.resolve("tls.conf"))) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            if (l.startsWith("listener ")) {
                l = "listener " + tlsPort + " 127.0.0.1";
            }
            lines.add(l.replace("/etc/mosquitto/updraft/", pki + "/"));
        }
        assertTrue(lines.contains("require_certificate true") && lines.contains("use_identity_as_username true"),
                lines.toString());
        return lines;
    }

    /** A CA, the broker's certificate for 127.0.0.1, and a client certificate per device (CN = device id). */
    private void makeCertificates() throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=updraft test CA");
        Files.writeString(pki.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        sign("server", "127.0.0.1", List.of("-extfile", "san.ext"));
        for (String device : PASSWORDS.keySet()) {
            sign(device, device, List.of());
        }
    }

    private void sign(String name, String commonName, List<String> extra) throws Exception {
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
                "-out", name + ".csr", "-subj", "/CN=" + commonName);
        List<String> x509 = new ArrayList<>(List.of("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
                "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "2"));
        x509.addAll(extra);
        openssl(x509.toArray(new String[0]));
    }

    private void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(pki.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
