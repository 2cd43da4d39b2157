package org.updraft.transport.mqtt.internal;

import java.nio.file.Path;

import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.updraft.core.net.BrokerAccess;

/**
 * The connection options from the configuration: credentials from a file (whose content is never logged), the CA
 * certificates to trust for TLS ({@link BrokerAccess}), clean start and automatic reconnect with backoff.
 */
final class BrokerOptions {

    private BrokerOptions() {
    }

    static MqttConnectionOptions of(MqttTransportConfig config, String brokerUri) {
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setSessionExpiryInterval(0L);
        options.setAutomaticReconnect(true);
        options.setAutomaticReconnectDelay(1, 60);
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(10);
        String credentials = config.credentials_file() == null ? "" : config.credentials_file().strip();
        if (!credentials.isEmpty()) {
            BrokerAccess.Credentials c = BrokerAccess.credentials(Path.of(credentials));
            options.setUserName(c.username());
            if (c.password().length > 0) {
                options.setPassword(c.password());
            }
        }
        String trust = config.tls_trust() == null ? "" : config.tls_trust().strip();
        if (!trust.isEmpty()) {
            options.setSocketFactory(BrokerAccess.trusting(Path.of(trust), brokerUri).getSocketFactory());
        } else if (brokerUri.startsWith("tcp://")) {
            options.setSocketFactory(new NoDelaySockets());
        }
        return options;
    }
}
