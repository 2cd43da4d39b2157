package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;

/**
 * The shipped broker configuration (docs/mosquitto/acl, read from the repository, with a password file made by
 * mosquitto_passwd): the platform logs in from its credentials file and may share the request topics; a device
 * works on its own topics and can neither read nor write another device's, nor forge its own offer.
 */
class BrokerAclTest {

    /** The ACL as shipped; the test runs in the module's directory. */
    static final Path SHIPPED_ACL = Path.of("../../docs/mosquitto/acl");

    @TempDir
    Path dir;

    private Mosquitto broker;
    private TestPlatform platform;
    private MqttTransport transport;

    @BeforeEach
    void start() throws Exception {
        assertTrue(Files.isRegularFile(SHIPPED_ACL), SHIPPED_ACL.toAbsolutePath() + " is missing");
        Path passwords = dir.resolve("passwords");
        Mosquitto.addUser(passwords, "updraft-platform", "platform-secret");
        Mosquitto.addUser(passwords, "dev-1", "secret-1");
        Mosquitto.addUser(passwords, "dev-2", "secret-2");
        broker = Mosquitto.start(dir.resolve("broker"), List.of("password_file " + passwords,
                "acl_file " + SHIPPED_ACL.toAbsolutePath().normalize()));

        platform = new TestPlatform(dir.resolve("platform"));
        platform.publish(SeededContent.bytes(1, 5000), 2);
        platform.register("dev-1");
        platform.register("dev-2");
        Path credentials = dir.resolve("mqtt.credentials");
        Files.writeString(credentials, "username=updraft-platform\npassword=platform-secret\n");
        Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
        transport = new MqttTransport(Configs.of(MqttTransportConfig.class, Map.of("broker.uri", broker.uri(),
                "client.id", "platform-acl", "credentials.file", credentials.toString())), platform.updates);
        transport.bindStore(platform.store);
        transport.bindReleases(platform.releases);
        long deadline = System.currentTimeMillis() + 15_000;
        while (!transport.isReady()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the platform did not connect and subscribe under the shipped ACL: "
                        + transport.status() + "\nbroker log:\n" + broker.log());
            }
            Thread.sleep(20);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.close();
        }
        if (platform != null) {
            platform.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aDeviceWorksOnItsOwnTopicsAndCannotReachAnotherDevicesOrForgeItsOffer() throws Exception {
        byte[] check = Cbor.encode(Map.of("seq", 1L));
        MqttClient observer = platformObserver();
        try (TestDevice dev1 = new TestDevice(broker.uri(), "updraft", "dev-1", null, "secret-1")) {
            // its own check is answered: the ACL lets it write its request and read its answer
            MqttMessage own = dev1.request("check", check, dev1.down("answers"), new byte[] {1});
            assertNull(own.getProperties().getUserProperties().stream().filter(p -> p.getKey().equals("error"))
                    .findFirst().orElse(null));

            // it cannot read another device's topics: mosquitto grants the subscription but delivers nothing
            MqttClient spy = deviceClient("dev-1", "secret-1");
            BlockingQueue<String> spied = new ArrayBlockingQueue<>(10);
            spy.subscribe(new MqttSubscription[] {new MqttSubscription("updraft/down/dev-2/#", 1)},
                    new IMqttMessageListener[] {(topic, m) -> spied.add(topic)});
            try (TestDevice dev2 = new TestDevice(broker.uri(), "updraft", "dev-2", null, "secret-2")) {
                // the control: dev-2 gets its answer on the topic dev-1 listens to
                dev2.request("check", check, dev2.down("answers"), new byte[] {7});
            }
            assertNull(spied.poll(1, TimeUnit.SECONDS), "dev-1 read dev-2's topics");
            spy.disconnect();
            spy.close();

            // it cannot publish in another device's name: the platform's user never sees the message
            BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
            observer.subscribe(new MqttSubscription[] {new MqttSubscription("updraft/up/+/check", 1)},
                    new IMqttMessageListener[] {(topic, m) -> seen.add(topic)});
            dev1.send("updraft/up/dev-2/check", check, null, null);
            try (TestDevice dev2 = new TestDevice(broker.uri(), "updraft", "dev-2", null, "secret-2")) {
                dev2.send(dev2.up("check"), check, null, null); // the control: dev-2 on its own topic
                assertEquals("updraft/up/dev-2/check", seen.poll(5, TimeUnit.SECONDS));
                assertNull(seen.poll(500, TimeUnit.MILLISECONDS), "dev-1 published on dev-2's request topic");
            }

            // nor forge its own offer: a retained message it publishes on its offer topic is not kept
            dev1.send(dev1.down("offer"), "forged".getBytes(StandardCharsets.UTF_8), null, null);
            MqttMessage offer = dev1.poll(dev1.down("offer"), null, 1_000);
            if (offer != null) {
                // the platform's own (empty: nothing offered) retained message, never the forged one
                assertArrayEquals(new byte[0], offer.getPayload());
            }
        } finally {
            observer.disconnect();
            observer.close();
        }
        try (TestDevice later = new TestDevice(broker.uri(), "updraft", "dev-1", null, "secret-1")) {
            MqttMessage kept = later.poll(later.down("offer"), null, 1_000);
            assertTrue(kept == null || kept.getPayload().length == 0, "a forged retained offer was kept");
        }
    }

    @Test
    void aWrongPasswordIsRefused() throws Exception {
        Exception refused = null;
        try (TestDevice intruder = new TestDevice(broker.uri(), "updraft", "dev-1", null, "guess")) {
            // connected: fails below
        } catch (Exception e) {
            refused = e;
        }
        assertNotNull(refused, "the broker accepted a wrong password");
    }

    private MqttClient platformObserver() throws Exception {
        return login("updraft-platform", "platform-secret", "observer");
    }

    private MqttClient deviceClient(String user, String password) throws Exception {
        return login(user, password, user + "-spy");
    }

    private MqttClient login(String user, String password, String clientId) throws Exception {
        MqttClient client = new MqttClient(broker.uri(), clientId, new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setUserName(user);
        options.setPassword(password.getBytes(StandardCharsets.UTF_8));
        options.setConnectionTimeout(5);
        client.connect(options);
        return client;
    }
}
