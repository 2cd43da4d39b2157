package org.updraft.core.identity;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Objects;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Updraft's keys as the JDK's security API holds them, for a TLS or DTLS stack that takes {@link PrivateKey} and
 * {@link PublicKey} (Scandium's raw public keys), and back: the key a peer proved it holds, as a did:key.
 *
 * @since 1.2
 */
public final class JcaKeys {

    private JcaKeys() {
    }

    /** The private key, for a stack that signs with it; handle the result as the key itself. */
    public static PrivateKey privateKey(SigningKey key) {
        Objects.requireNonNull(key, "key");
        try {
            byte[] pkcs8 = KeyFiles.privateKeyInfoDer(key);
            return keyFactory(key.algorithm()).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot hold a " + key.algorithm().label() + " private key: "
                    + e.getMessage(), e);
        }
    }

    /** The public key (SubjectPublicKeyInfo), e.g. a raw public key to present or to trust. */
    public static PublicKey publicKey(VerificationKey key) {
        Objects.requireNonNull(key, "key");
        try {
            byte[] spki = KeyFiles.publicKeyInfoDer(key);
            return keyFactory(key.algorithm()).generatePublic(new X509EncodedKeySpec(spki));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot hold a " + key.algorithm().label() + " public key: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The Updraft key of a JDK public key, from its SubjectPublicKeyInfo encoding (any provider's).
     *
     * @throws IllegalArgumentException when it is not an Ed25519 or P-256 key
     */
    public static VerificationKey verificationKey(PublicKey key) {
        Objects.requireNonNull(key, "key");
        byte[] encoded = key.getEncoded();
        if (encoded == null) {
            throw new IllegalArgumentException("the " + key.getAlgorithm() + " key has no X.509 encoding");
        }
        SubjectPublicKeyInfo info;
        try {
            info = SubjectPublicKeyInfo.getInstance(encoded);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a SubjectPublicKeyInfo: " + e.getMessage(), e);
        }
        ASN1ObjectIdentifier algorithm = info.getAlgorithm().getAlgorithm();
        byte[] bits = info.getPublicKeyData().getOctets();
        if (EdECObjectIdentifiers.id_Ed25519.equals(algorithm)) {
            return VerificationKey.of(KeyAlgorithm.ED25519, bits);
        }
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm)
                && SECObjectIdentifiers.secp256r1.equals(info.getAlgorithm().getParameters())) {
            return VerificationKey.of(KeyAlgorithm.P256, bits);
        }
        throw new IllegalArgumentException("a " + key.getAlgorithm() + " key (" + algorithm + ") is neither Ed25519 "
                + "nor P-256");
    }

    private static KeyFactory keyFactory(KeyAlgorithm algorithm) throws GeneralSecurityException {
        return KeyFactory.getInstance(algorithm == KeyAlgorithm.ED25519 ? "Ed25519" : "EC");
    }
}
