package org.updraft.core.mcuboot;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;

/**
 * The private key that signs MCUboot images, read from the PEM file imgtool uses. Ed25519 signatures are
 * deterministic (RFC 8032), so they equal imgtool's byte for byte; ECDSA ones are deterministic too (RFC 6979)
 * where imgtool's are random: both verify the same. {@link #toString()} never shows key material.
 */
public final class ImageSigningKey {

    private final AsymmetricKeyParameter privateKey;
    private final ImageKey imageKey;

    private ImageSigningKey(AsymmetricKeyParameter privateKey, ImageKey imageKey) {
        this.privateKey = privateKey;
        this.imageKey = imageKey;
    }

    /**
     * Reads a private key file: PKCS#8 PEM (what {@code imgtool keygen -t ed25519|ecdsa-p256} writes) or SEC1
     * PEM for P-256.
     *
     * @throws KeyFileException with a one-line reason: missing, a public key, encrypted, another algorithm
     */
    public static ImageSigningKey read(Path file) throws KeyFileException {
        PemKeys.Parsed parsed = PemKeys.read(file);
        if (parsed.privateKey() == null) {
            throw new KeyFileException(file + " holds a public key; signing needs the private key file");
        }
        return of(file, parsed.privateKey());
    }

    static ImageSigningKey of(Path file, AsymmetricKeyParameter key) throws KeyFileException {
        if (key instanceof Ed25519PrivateKeyParameters ed) {
            return new ImageSigningKey(ed, ImageKey.of(ed.generatePublicKey()));
        }
        if (key instanceof ECPrivateKeyParameters ec) {
            ECPublicKeyParameters pub = new ECPublicKeyParameters(
                    new FixedPointCombMultiplier().multiply(ec.getParameters().getG(), ec.getD()), ec.getParameters());
            try {
                ImageKey imageKey = ImageKey.of(pub);
                return new ImageSigningKey(new ECPrivateKeyParameters(ec.getD(), ImageKey.P256), imageKey);
            } catch (IllegalArgumentException e) {
                throw new KeyFileException(file + " holds " + e.getMessage());
            }
        }
        if (key instanceof RSAKeyParameters) {
            throw new KeyFileException(file + " holds an RSA key; MCUboot images are signed here with Ed25519 or "
                    + "ECDSA P-256 only");
        }
        throw new KeyFileException(file + " holds a key of another type than Ed25519 or ECDSA P-256");
    }

    public KeyAlgorithm algorithm() {
        return imageKey.algorithm();
    }

    /** The public half, as the bootloader knows it. */
    public ImageKey imageKey() {
        return imageKey;
    }

    /**
     * The signature TLV's value: Ed25519 over {@code message} (imgtool signs the image digest itself, or for
     * pure Ed25519 the hashed bytes), or ECDSA P-256 in DER over the SHA-256 digest {@code message}.
     */
    byte[] sign(byte[] message) {
        if (privateKey instanceof Ed25519PrivateKeyParameters) {
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(true, privateKey);
            signer.update(message, 0, message.length);
            return signer.generateSignature();
        }
        if (message.length != 32) {
            throw new IllegalArgumentException("ECDSA P-256 signs a SHA-256 digest, not " + message.length
                    + " bytes");
        }
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, privateKey);
        BigInteger[] rs = signer.generateSignature(message);
        try {
            return StandardDSAEncoding.INSTANCE.encode(ImageKey.P256.getN(), rs[0], rs[1]);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ImageSigningKey[" + imageKey + "]";
    }
}
