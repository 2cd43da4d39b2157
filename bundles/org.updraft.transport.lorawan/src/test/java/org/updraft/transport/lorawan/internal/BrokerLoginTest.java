package org.updraft.transport.lorawan.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
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
 * The transport logs in to the broker ChirpStack's integration publishes to, as an operator's ChirpStack needs:
 * mosquitto with a password file and no anonymous clients takes the transport with its credentials.file, and refuses
 * it without one or with a wrong password; the status says which, and never shows the password.
 */
class BrokerLoginTest {

    private static final String PASSWORD = "fuota-s3cret";

    @TempDir
    Path dir;

    private Mosquitto broker;
    private FuotaPlatform platform;
    private LorawanTransport transport;

    @BeforeEach
    void start() throws Exception {
        Path passwords = dir.resolve("passwords");
        Mosquitto.addUser(passwords, "updraft-fuota", PASSWORD);
        broker = Mosquitto.start(dir.resolve("broker"), List.of("allow_anonymous false", "password_file " + passwords));
        platform = new FuotaPlatform(dir.resolve("platform"));
    }

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.close();
        }
        platform.close();
        broker.close();
    }

    private LorawanTransport transport(String credentialsFile) {
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("broker.uri", broker.uri(), "client.id",
                "updraft-fuota-login", "application.id", "fuota-app", "credentials.file", credentialsFile));
        settings.put("state.file", dir.resolve("devices.state").toString());
        LorawanTransport t = new LorawanTransport(Configs.of(LorawanTransportConfig.class, settings),
                platform.updates);
        t.bindRegistry(platform.registry);
        t.bindStore(platform.store);
        return t;
    }

    private Path credentials(String name, String password) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, "username = updraft-fuota\npassword = " + password + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** The status once the first scan tried the broker. */
    private String statusAfterFirstScan(LorawanTransport t) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String status = t.status();
        while (status.startsWith("not connected") && !status.contains("cannot reach") && System.nanoTime() < until) {
            Thread.sleep(50);
            status = t.status();
        }
        return status;
    }

    @Test
    void theTransportLogsInWithItsCredentialsFile() throws Exception {
        transport = transport(credentials("login", PASSWORD).toString());
        String status = statusAfterFirstScan(transport);
        assertTrue(status.startsWith("connected to " + broker.uri()), status + "\nbroker log:\n" + broker.log());
    }

    @Test
    void withoutCredentialsOrWithAWrongPasswordTheBrokerRefusesItAndTheStatusSaysSo() throws Exception {
        transport = transport("");
        String anonymous = statusAfterFirstScan(transport);
        assertTrue(anonymous.contains("cannot reach the broker"), anonymous);
        transport.close();

        transport = transport(credentials("wrong", "not-the-password").toString());
        String wrong = statusAfterFirstScan(transport);
        assertTrue(wrong.contains("cannot reach the broker"), wrong);
        assertFalse(wrong.contains("not-the-password"), wrong);
    }

    @Test
    void aCredentialsFileWithoutUserIsNamedInTheStatusWithoutItsContent() throws Exception {
        Path file = dir.resolve("no-user");
        Files.writeString(file, "password = do-not-print-me\n");
        transport = transport(file.toString());
        String status = statusAfterFirstScan(transport);
        assertTrue(status.contains("credentials.file") && status.contains("username"), status);
        assertFalse(status.contains("do-not-print-me"), status);
    }
}
