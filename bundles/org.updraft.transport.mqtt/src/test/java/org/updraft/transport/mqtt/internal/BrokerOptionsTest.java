package org.updraft.transport.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.testing.Configs;

/** Connection options from the configuration: credentials from their file, TLS only for ssl://, clean start. */
class BrokerOptionsTest {

    @TempDir
    Path dir;

    private static MqttConnectionOptions options(Map<String, Object> values) {
        return BrokerOptions.of(Configs.of(MqttTransportConfig.class, values),
                (String) values.getOrDefault("broker.uri", "tcp://localhost:1883"));
    }

    @Test
    void credentialsComeFromTheFileAndTheDefaultsConnectWithout() throws Exception {
        Path file = Files.writeString(dir.resolve("creds"), "username = platform-1\npassword = s3cr=t!\n");
        MqttConnectionOptions options = options(Map.of("credentials.file", file.toString()));
        assertEquals("platform-1", options.getUserName());
        assertArrayEquals("s3cr=t!".getBytes(StandardCharsets.UTF_8), options.getPassword());
        assertTrue(options.isCleanStart());
        assertTrue(options.isAutomaticReconnect());

        MqttConnectionOptions anonymous = options(Map.of());
        assertEquals(null, anonymous.getUserName());
    }

    @Test
    void aMissingFileOrUserIsRefusedWithoutShowingTheFilesContent() throws Exception {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> options(Map.of("credentials.file", dir.resolve("nope").toString())));
        assertTrue(missing.getMessage().contains("nope"), missing.getMessage());

        Path noUser = Files.writeString(dir.resolve("creds"), "password=do-not-print-me\n");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> options(Map.of("credentials.file", noUser.toString())));
        assertTrue(refused.getMessage().contains("username"), refused.getMessage());
        assertFalse(refused.getMessage().contains("do-not-print-me"));
    }

    @Test
    void tlsTrustNeedsAnSslBroker() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> options(Map.of("tls.trust", dir.resolve("ca.pem").toString())));
        assertTrue(refused.getMessage().contains("ssl://"), refused.getMessage());
    }
}
