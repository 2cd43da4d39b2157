package org.updraft.transport.coap.internal;

import java.net.InetSocketAddress;
import java.util.List;

import org.eclipse.californium.elements.config.CertificateAuthenticationMode;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConfig.DtlsRole;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.SignatureAndHashAlgorithm;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuite;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.updraft.core.identity.JcaKeys;
import org.updraft.core.identity.SigningKey;

/**
 * The DTLS side of the device API (Scandium): DTLS 1.2 with raw public keys (RFC 7250) only, both ways. The server
 * presents its own key; every client must present one (a device's key is its identity) and any key completes the
 * handshake: which device a key may speak for is decided per request ({@link PeerBinding}), since the DTLS layer
 * does not know the registry. HelloVerifyRequest is always sent before the server keeps any state for a client, so
 * a forged source address gets one small answer back, never a flight of certificates (no amplification).
 * Public for the benchmarks' reference server, which must speak DTLS exactly as the transport does.
 */
public final class DtlsEndpoints {

    /**
     * ECDHE with ECDSA or EdDSA signatures: CCM_8 first (RFC 7252's mandatory suite, the one tinydtls and most
     * constrained stacks have), then GCM (what GnuTLS and OpenSSL prefer).
     */
    static final List<CipherSuite> CIPHER_SUITES = List.of(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);

    private DtlsEndpoints() {
    }

    /** The connector's settings: {@code californium} (with DtlsConfig's definitions) is changed for DTLS. */
    public static DtlsConnectorConfig server(Configuration californium, InetSocketAddress bind, SigningKey key) {
        californium.set(DtlsConfig.DTLS_ROLE, DtlsRole.SERVER_ONLY);
        californium.set(DtlsConfig.DTLS_USE_HELLO_VERIFY_REQUEST, true);
        californium.set(DtlsConfig.DTLS_CLIENT_AUTHENTICATION_MODE, CertificateAuthenticationMode.NEEDED);
        californium.setAsList(DtlsConfig.DTLS_CERTIFICATE_TYPES, CertificateType.RAW_PUBLIC_KEY);
        californium.set(DtlsConfig.DTLS_CIPHER_SUITES, CIPHER_SUITES);
        // device keys are P-256 or Ed25519: both may sign the handshake (Scandium's default offers ECDSA and RSA)
        californium.set(DtlsConfig.DTLS_SIGNATURE_AND_HASH_ALGORITHMS, List.of(SignatureAndHashAlgorithm.SHA256_WITH_ECDSA,
                SignatureAndHashAlgorithm.INTRINSIC_WITH_ED25519));
        return DtlsConnectorConfig.builder(californium).setAddress(bind).setLoggingTag("updraft-dtls")
                .setCertificateIdentityProvider(new SingleCertificateProvider(JcaKeys.privateKey(key),
                        JcaKeys.publicKey(key.verificationKey())))
                .setAdvancedCertificateVerifier(StaticNewAdvancedCertificateVerifier.builder().setTrustAllRPKs()
                        .build())
                .build();
    }
}
