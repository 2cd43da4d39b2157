package org.updraft.core.net;

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
import java.util.Arrays;
import java.util.Collection;
import java.util.Properties;
import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker connection's settings as a transport's configuration gives them: {@code credentials.file}, a properties
 * file with {@code username=} and {@code password=} (never logged, a warning when others may read it), and
 * {@code tls.trust}, PEM CA certificates for an {@code ssl://} broker. Errors name the setting, for the operator.
 */
public final class BrokerAccess {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerAccess.class);

    private BrokerAccess() {
    }

    /** A user name and its password, empty for none. */
    public record Credentials(String username, byte[] password) {

        public Credentials {
            password = password.clone();
        }

        @Override
        public byte[] password() {
            return password.clone();
        }

        @Override
        public String toString() {
            return "Credentials[" + username + "]"; // never the password
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Credentials c && c.username.equals(username) && Arrays.equals(c.password, password);
        }

        @Override
        public int hashCode() {
            return username.hashCode();
        }
    }

    /**
     * Reads {@code username} and {@code password} from a properties file; warns when its group or others may read it.
     *
     * @throws IllegalArgumentException when the file cannot be read or names no user
     */
    public static Credentials credentials(Path file) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("credentials.file " + file + " cannot be read: " + e.getMessage(), e);
        }
        warnWhenReadableByOthers(file);
        String user = properties.getProperty("username", "").strip();
        if (user.isEmpty()) {
            throw new IllegalArgumentException("credentials.file " + file + " has no username= line");
        }
        return new Credentials(user, properties.getProperty("password", "").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The TLS context that trusts the CA certificates of {@code pem} and no other, for a broker at {@code brokerUri}.
     *
     * @throws IllegalArgumentException when the broker is not reached over TLS, or the file holds no certificate
     */
    public static SSLContext trusting(Path pem, String brokerUri) {
        if (!brokerUri.startsWith("ssl://") && !brokerUri.startsWith("wss://")) {
            throw new IllegalArgumentException("tls.trust is set but broker.uri '" + brokerUri
                    + "' is not ssl://: set one or clear the other");
        }
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

    private static void warnWhenReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("The broker credentials file {} may be read by its group or by others; chmod 600 it", file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
