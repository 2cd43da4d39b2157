package org.updraft.device.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A device's TLS context from PEM files: the CA certificates it trusts (or the JVM's) and, optionally, its client
 * certificate chain and PKCS#8 private key. Errors name the file and what is wrong with it, never the key's bytes.
 */
public final class TlsFiles {

    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    private TlsFiles() {
    }

    /**
     * @param trust PEM CA certificates, or null for the JVM's trusted CAs
     * @param chain PEM client certificate (then intermediates), or null for none
     * @param key PEM PKCS#8 private key of the chain's first certificate; null exactly when chain is
     * @throws IllegalArgumentException naming the file that cannot be used
     */
    public static SSLContext context(Path trust, Path chain, Path key) {
        try {
            TrustManagerFactory trusted = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trust == null) {
                trusted.init((KeyStore) null);
            } else {
                KeyStore store = emptyStore();
                int i = 0;
                for (Certificate certificate : certificates(trust, "trusted CA file")) {
                    store.setCertificateEntry("ca-" + i++, certificate);
                }
                trusted.init(store);
            }
            KeyManagerFactory keys = null;
            if (chain != null) {
                List<Certificate> certificates = List.copyOf(certificates(chain, "client certificate file"));
                PrivateKey privateKey = privateKey(key);
                char[] password = new char[0];
                KeyStore store = emptyStore();
                store.setKeyEntry("device", privateKey, password, certificates.toArray(new Certificate[0]));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, password);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trusted.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS (trust " + trust + ", client certificate " + chain
                    + "): " + e.getMessage(), e);
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static Collection<? extends Certificate> certificates(Path pem, String what) {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("the " + what + " " + pem + " holds no certificate");
            }
            return certificates;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("the " + what + " " + pem + " is not a PEM file of certificates: "
                    + e.getMessage(), e);
        }
    }

    /** An unencrypted PKCS#8 key: EC, RSA or Ed25519, whichever its algorithm identifier names. */
    private static PrivateKey privateKey(Path pem) {
        if (pem == null) {
            throw new IllegalArgumentException("a client certificate needs its private key file");
        }
        String text;
        try {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("the private key file " + pem + " cannot be read: " + e.getMessage(),
                    e);
        }
        int begin = text.indexOf(KEY_BEGIN);
        int end = text.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("the private key file " + pem + " holds no unencrypted PKCS#8 key ("
                    + KEY_BEGIN + "); convert it with openssl pkcs8 -topk8 -nocrypt");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the private key file " + pem + " is not valid base64", e);
        }
        try {
            for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException notThisOne) {
                    // the next algorithm
                }
            }
        } finally {
            Arrays.fill(der, (byte) 0);
        }
        throw new IllegalArgumentException("the private key file " + pem + " holds no EC, RSA or Ed25519 key");
    }
}
