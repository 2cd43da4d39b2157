package org.updraft.device.internal;

import java.net.InetSocketAddress;
import java.security.PublicKey;
import java.util.List;

import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
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
 * A device's DTLS client (Scandium): DTLS 1.2 with raw public keys (RFC 7250), its own key as its identity, and the
 * platform's DTLS key as the only server it accepts, pinned as a device pins the log and statement keys.
 */
public final class DtlsClients {

    private DtlsClients() {
    }

    /** DTLS settings shared by a link's devices; {@code config} must hold DtlsConfig's definitions. */
    public static void configure(Configuration config) {
        config.set(DtlsConfig.DTLS_ROLE, DtlsRole.CLIENT_ONLY);
        config.setAsList(DtlsConfig.DTLS_CERTIFICATE_TYPES, CertificateType.RAW_PUBLIC_KEY);
        // the suites every Updraft server offers; CCM_8 is what constrained devices' stacks have
        config.set(DtlsConfig.DTLS_CIPHER_SUITES, List.of(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256));
        // device keys are P-256 or Ed25519: both may sign the handshake (Scandium's default offers ECDSA and RSA)
        config.set(DtlsConfig.DTLS_SIGNATURE_AND_HASH_ALGORITHMS, List.of(SignatureAndHashAlgorithm.SHA256_WITH_ECDSA,
                SignatureAndHashAlgorithm.INTRINSIC_WITH_ED25519));
        // one socket per device: one receiver thread each, the handshakes on the link's shared executor
        config.set(DtlsConfig.DTLS_RECEIVER_THREAD_COUNT, 1);
        config.set(DtlsConfig.DTLS_MAX_CONNECTIONS, 4);
    }

    /** One device's connector settings: its key, presented as its raw public key, and the one server key trusted. */
    public static DtlsConnectorConfig client(Configuration config, InetSocketAddress bind, SigningKey deviceKey,
            PublicKey platformKey) {
        return DtlsConnectorConfig.builder(config).setAddress(bind)
                .setCertificateIdentityProvider(new SingleCertificateProvider(JcaKeys.privateKey(deviceKey),
                        JcaKeys.publicKey(deviceKey.verificationKey())))
                .setAdvancedCertificateVerifier(StaticNewAdvancedCertificateVerifier.builder()
                        .setTrustedRPKs(new RawPublicKeyIdentity(platformKey)).build())
                .build();
    }
}
