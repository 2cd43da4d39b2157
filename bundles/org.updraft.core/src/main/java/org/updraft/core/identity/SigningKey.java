package org.updraft.core.identity;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Objects;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * A private key that signs: a manufacturer's on its own machine, a device's, or the log's. ES256 signatures
 * are deterministic (RFC 6979), so a signer never depends on a good random source at signing time.
 * {@link #toString()} never shows key material.
 */
public final class SigningKey {

    private final KeyAlgorithm algorithm;
    private final AsymmetricKeyParameter privateKey;
    private final VerificationKey verificationKey;

    SigningKey(KeyAlgorithm algorithm, AsymmetricKeyParameter privateKey, VerificationKey verificationKey) {
        this.algorithm = algorithm;
        this.privateKey = privateKey;
        this.verificationKey = verificationKey;
    }

    /** Generates a new key pair from a strong random source. */
    public static SigningKey generate(KeyAlgorithm algorithm) {
        Objects.requireNonNull(algorithm, "algorithm");
        SecureRandom random = new SecureRandom();
        switch (algorithm) {
            case ED25519: {
                Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(random);
                return new SigningKey(algorithm, key, VerificationKey.of(key.generatePublicKey()));
            }
            case P256: {
                ECKeyPairGenerator generator = new ECKeyPairGenerator();
                generator.init(new ECKeyGenerationParameters(P256.DOMAIN, random));
                AsymmetricCipherKeyPair pair = generator.generateKeyPair();
                return new SigningKey(algorithm, pair.getPrivate(), VerificationKey.of(pair.getPublic()));
            }
            default:
                throw new IllegalStateException();
        }
    }

    /**
     * The Ed25519 key of a 32-byte seed (RFC 8032 section 5.1.5): for keys derived from a secret rather than
     * generated, such as the per-device report keys of the DDI transport. The seed is the private key: keep it so.
     *
     * @since 1.2
     */
    public static SigningKey ed25519(byte[] seed) {
        if (seed == null || seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 seed has " + Ed25519PrivateKeyParameters.KEY_SIZE
                    + " bytes");
        }
        return of(new Ed25519PrivateKeyParameters(seed, 0));
    }

    /** A signing key from its private parameters, as read from a key file. */
    static SigningKey of(AsymmetricKeyParameter privateKey) {
        if (privateKey instanceof Ed25519PrivateKeyParameters ed) {
            return new SigningKey(KeyAlgorithm.ED25519, ed, VerificationKey.of(ed.generatePublicKey()));
        }
        if (privateKey instanceof ECPrivateKeyParameters ec) {
            ECPublicKeyParameters pub = new ECPublicKeyParameters(
                    new FixedPointCombMultiplier().multiply(ec.getParameters().getG(), ec.getD()), ec.getParameters());
            if (!VerificationKey.isP256(pub)) {
                throw new IllegalArgumentException("only P-256 EC keys are supported");
            }
            return new SigningKey(KeyAlgorithm.P256, new ECPrivateKeyParameters(ec.getD(), P256.DOMAIN),
                    VerificationKey.of(pub));
        }
        throw new IllegalArgumentException("not an Ed25519 or P-256 private key");
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    public VerificationKey verificationKey() {
        return verificationKey;
    }

    /** This key's did:key. */
    public String did() {
        return verificationKey.did();
    }

    AsymmetricKeyParameter parameters() {
        return privateKey;
    }

    /** Signs {@code data}: raw Ed25519, or ES256 as r ‖ s (64 bytes) over SHA-256 of {@code data}. */
    public byte[] sign(byte[] data) {
        switch (algorithm) {
            case ED25519: {
                Ed25519Signer signer = new Ed25519Signer();
                signer.init(true, privateKey);
                signer.update(data, 0, data.length);
                return signer.generateSignature();
            }
            case P256: {
                ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
                signer.init(true, privateKey);
                BigInteger[] rs = signer.generateSignature(P256.sha256(data));
                return P256.toRaw(rs[0], rs[1]);
            }
            default:
                throw new IllegalStateException();
        }
    }

    @Override
    public String toString() {
        return "SigningKey[" + algorithm.label() + ", " + did() + "]";
    }
}
