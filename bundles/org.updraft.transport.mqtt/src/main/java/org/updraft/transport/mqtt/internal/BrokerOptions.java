package org.updraft.transport.mqtt.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Properties;
import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection options from the configuration: credentials from a file (whose content is never logged), the CA
 * certificates to trust for TLS, clean start and automatic reconnect with backoff.
 */
final class BrokerOptions {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerOptions.class);

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
            credentials(Path.of(credentials), options);
        }
        String trust = config.tls_trust() == null ? "" : config.tls_trust().strip();
        if (!trust.isEmpty()) {
            if (!brokerUri.startsWith("ssl://") && !brokerUri.startsWith("wss://")) {
                throw new IllegalArgumentException("tls.trust is set but broker.uri '" + brokerUri
                        + "' is not ssl://: set one or clear the other");
            }
            options.setSocketFactory(trusting(Path.of(trust)).getSocketFactory());
        } else if (brokerUri.startsWith("tcp://")) {
            options.setSocketFactory(new NoDelaySockets());
        }
        return options;
    }

    /** Reads {@code username} and {@code password} from a properties file; warns when others may read it. */
    static void credentials(Path file, MqttConnectionOptions options) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("credentials.file " + file + " cannot be read: " + e.getMessage(), e);
        }
        warnWhenReadableByOthers(file);
        String user = properties.getProperty("username", "").strip();
        String password = properties.getProperty("password", "");
        if (user.isEmpty()) {
            throw new IllegalArgumentException("credentials.file " + file + " has no username= line");
        }
        options.setUserName(user);
        if (!password.isEmpty()) {
            options.setPassword(password.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void warnWhenReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("The MQTT credentials file {} may be read by its group or by others; chmod 600 it", file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }

    private static SSLContext trusting(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("tls.trust " + pem + " holds no certificate");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("tls.trust " + pem + " is not a PEM file of certificates: "
                    + e.getMessage(), e);
        }
    }
}
