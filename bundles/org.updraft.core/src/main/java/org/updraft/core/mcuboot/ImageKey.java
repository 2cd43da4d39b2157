package org.updraft.core.mcuboot;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.math.ec.ECPoint;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.VerificationKey;

/**
 * The public key an MCUboot bootloader checks images with: Ed25519 or ECDSA P-256. MCUboot embeds it as DER
 * SubjectPublicKeyInfo, and an image names it by the hash of those bytes (the KEYHASH TLV). Immutable.
 */
public final class ImageKey {

    static final ECDomainParameters P256;

    static {
        X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
        // named, so the SubjectPublicKeyInfo carries the curve's OID as imgtool's does
        P256 = new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, x9);
    }

    private final KeyAlgorithm algorithm;
    private final AsymmetricKeyParameter parameters;
    private final byte[] subjectPublicKeyInfo;

    private ImageKey(KeyAlgorithm algorithm, AsymmetricKeyParameter parameters) {
        this.algorithm = algorithm;
        this.parameters = parameters;
        try {
            this.subjectPublicKeyInfo = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(parameters)
                    .getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key from BouncyCastle public key parameters. */
    static ImageKey of(AsymmetricKeyParameter publicKey) {
        if (publicKey instanceof Ed25519PublicKeyParameters ed) {
            return new ImageKey(KeyAlgorithm.ED25519, ed);
        }
        if (publicKey instanceof ECPublicKeyParameters ec) {
            if (!ec.getParameters().getCurve().equals(P256.getCurve()) || !ec.getParameters().getG().equals(P256.getG())) {
                throw new IllegalArgumentException("an EC key on another curve than P-256 (imgtool's ecdsa-p384 is "
                        + "not supported)");
            }
            return new ImageKey(KeyAlgorithm.P256, new ECPublicKeyParameters(ec.getQ(), P256));
        }
        if (publicKey instanceof RSAKeyParameters) {
            throw new IllegalArgumentException("an RSA key; MCUboot images are checked here with Ed25519 or ECDSA "
                    + "P-256 only");
        }
        throw new IllegalArgumentException("not an Ed25519 or P-256 key");
    }

    /** The same key as Updraft's identities know it (a manufacturer's or a device class's did:key). */
    public static ImageKey of(VerificationKey key) {
        Objects.requireNonNull(key, "key");
        byte[] raw = key.publicKey();
        if (key.algorithm() == KeyAlgorithm.ED25519) {
            return of(new Ed25519PublicKeyParameters(raw, 0));
        }
        ECPoint q = P256.getCurve().decodePoint(raw).normalize();
        return of(new ECPublicKeyParameters(q, P256));
    }

    /**
     * Reads a PEM key file as imgtool accepts it: a private key (PKCS#8, or SEC1 for P-256), whose public half
     * is taken, or a public key (SubjectPublicKeyInfo).
     *
     * @throws KeyFileException with a one-line reason: missing, not a key, encrypted, another algorithm
     */
    public static ImageKey read(Path file) throws KeyFileException {
        PemKeys.Parsed parsed = PemKeys.read(file);
        if (parsed.privateKey() != null) {
            return ImageSigningKey.of(file, parsed.privateKey()).imageKey();
        }
        try {
            return of(parsed.publicKey());
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(file + " holds " + e.getMessage());
        }
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    /** The key as Updraft's identities know it (its did:key). */
    public VerificationKey verificationKey() {
        if (parameters instanceof Ed25519PublicKeyParameters ed) {
            return VerificationKey.of(KeyAlgorithm.ED25519, ed.getEncoded());
        }
        return VerificationKey.of(KeyAlgorithm.P256, ((ECPublicKeyParameters) parameters).getQ().getEncoded(true));
    }

    /** DER SubjectPublicKeyInfo: what MCUboot embeds, and the PUBKEY TLV carries (44 bytes Ed25519, 91 P-256). */
    public byte[] subjectPublicKeyInfo() {
        return subjectPublicKeyInfo.clone();
    }

    /** The KEYHASH TLV's value for this key: the hash of its SubjectPublicKeyInfo. */
    public byte[] keyHash(ImageHash hash) {
        return hash.digest(subjectPublicKeyInfo);
    }

    /** The TLV type of this key's signatures: {@link Tlv#ED25519} or {@link Tlv#ECDSASIG}. */
    public int signatureTlv() {
        return algorithm == KeyAlgorithm.ED25519 ? Tlv.ED25519 : Tlv.ECDSASIG;
    }

    /** How imgtool names this key's signature: {@code ED25519} or {@code ECDSA P-256}. */
    public String signatureName() {
        return algorithm == KeyAlgorithm.ED25519 ? "Ed25519" : "ECDSA P-256";
    }

    /**
     * Checks a signature TLV's value: Ed25519 over {@code message} (the digest, or for pure Ed25519 the hashed
     * bytes), or ECDSA P-256 in DER over the SHA-256 digest {@code message}. Malformed signatures are simply
     * invalid.
     */
    boolean verify(byte[] message, byte[] signature) {
        if (algorithm == KeyAlgorithm.ED25519) {
            if (signature.length != 64) {
                return false;
            }
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, parameters);
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        }
        if (message.length != 32) {
            return false;
        }
        BigInteger[] rs;
        try {
            rs = StandardDSAEncoding.INSTANCE.decode(P256.getN(), withoutPadding(signature));
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, parameters);
        return verifier.verifySignature(message, rs[0], rs[1]);
    }

    /** imgtool's --pad-sig (for MCUboot before 1.5) appends zeros after the DER sequence. */
    private static byte[] withoutPadding(byte[] der) {
        if (der.length >= 2 && der[0] == 0x30 && (der[1] & 0x80) == 0 && der[1] + 2 < der.length) {
            for (int i = der[1] + 2; i < der.length; i++) {
                if (der[i] != 0) {
                    return der;
                }
            }
            return Arrays.copyOf(der, der[1] + 2);
        }
        return der;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageKey k && Arrays.equals(subjectPublicKeyInfo, k.subjectPublicKeyInfo);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(subjectPublicKeyInfo);
    }

    /** The algorithm and the start of the SHA-256 key hash, as it appears in the KEYHASH TLV. */
    @Override
    public String toString() {
        return signatureName() + " key " + HexFormat.of().formatHex(keyHash(ImageHash.SHA256), 0, 8);
    }
}
