package org.updraft.core.identity;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.math.ec.ECPoint;
import org.updraft.api.multiformats.Multibase;
import org.updraft.api.multiformats.Varint;

/**
 * A public key that checks signatures: a manufacturer's, a device's or the log's. Its identity is its
 * did:key (W3C did:key method): {@code did:key:z} + base58btc(multicodec prefix + public key), the
 * P-256 point compressed. Instances are immutable and safe to share between threads.
 */
public final class VerificationKey {

    private static final String DID_KEY_PREFIX = "did:key:";

    private final KeyAlgorithm algorithm;
    private final byte[] publicKey;
    private final AsymmetricKeyParameter parameters;
    private final String did;

    private VerificationKey(KeyAlgorithm algorithm, byte[] publicKey, AsymmetricKeyParameter parameters) {
        this.algorithm = algorithm;
        this.publicKey = publicKey;
        this.parameters = parameters;
        ByteArrayOutputStream multikey = new ByteArrayOutputStream(40);
        multikey.writeBytes(Varint.encode(algorithm.multicodec()));
        multikey.writeBytes(publicKey);
        this.did = DID_KEY_PREFIX + "z" + Multibase.encodeBase58(multikey.toByteArray());
    }

    /**
     * A key from its raw public key bytes: 32 bytes for Ed25519, a SEC1 point (compressed or not) for P-256.
     *
     * @throws IllegalArgumentException when the bytes are not a valid key of that algorithm
     */
    public static VerificationKey of(KeyAlgorithm algorithm, byte[] publicKey) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(publicKey, "publicKey");
        switch (algorithm) {
            case ED25519:
                if (publicKey.length != 32) {
                    throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + publicKey.length);
                }
                return new VerificationKey(algorithm, publicKey.clone(), new Ed25519PublicKeyParameters(publicKey, 0));
            case P256:
                ECPoint point;
                try {
                    point = P256.DOMAIN.getCurve().decodePoint(publicKey).normalize();
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("not a point on P-256: " + e.getMessage());
                }
                if (point.isInfinity() || !point.isValid()) {
                    throw new IllegalArgumentException("not a valid P-256 public key");
                }
                return new VerificationKey(algorithm, point.getEncoded(true),
                        new ECPublicKeyParameters(point, P256.DOMAIN));
            default:
                throw new IllegalStateException();
        }
    }

    static VerificationKey of(AsymmetricKeyParameter parameters) {
        if (parameters instanceof Ed25519PublicKeyParameters ed) {
            return of(KeyAlgorithm.ED25519, ed.getEncoded());
        }
        if (parameters instanceof ECPublicKeyParameters ec && isP256(ec)) {
            return of(KeyAlgorithm.P256, ec.getQ().getEncoded(true));
        }
        throw new IllegalArgumentException("not an Ed25519 or P-256 public key");
    }

    static boolean isP256(ECPublicKeyParameters ec) {
        return ec.getParameters().getCurve().equals(P256.DOMAIN.getCurve())
                && ec.getParameters().getG().equals(P256.DOMAIN.getG());
    }

    /**
     * Parses a did:key naming an Ed25519 or P-256 key.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static VerificationKey fromDid(String did) {
        if (did == null) {
            throw new IllegalArgumentException("not a did:key: 'null' (expected did:key:z…)");
        }
        VerificationKey cached = DECODED.get(did);
        if (cached != null) {
            return cached;
        }
        VerificationKey key = decode(did);
        // A full cache is simply emptied: cheaper than LRU bookkeeping on every hit, and refills in one pass.
        if (DECODED.size() >= DECODED_CAPACITY) {
            DECODED.clear();
        }
        DECODED.put(did, key);
        return key;
    }

    /*
     * Decoded keys by did:key. Decoding costs a base58 decode and, for both algorithms, a point decompression
     * (about a fifth of an Ed25519 verify); the same few signers (and a fleet's device keys) are verified again and
     * again. Keys are immutable and only valid ones are kept, so sharing them is safe.
     */
    private static final int DECODED_CAPACITY = 65_536;
    private static final Map<String, VerificationKey> DECODED = new ConcurrentHashMap<>();

    private static VerificationKey decode(String did) {
        if (did == null || !did.startsWith(DID_KEY_PREFIX + "z")) {
            throw new IllegalArgumentException("not a did:key: '" + did + "' (expected did:key:z…)");
        }
        byte[] multikey;
        try {
            multikey = Multibase.decodeBase58(did.substring(DID_KEY_PREFIX.length() + 1));
            long[] codec = Varint.decode(multikey, 0);
            for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
                if (algorithm.multicodec() == codec[0]) {
                    byte[] key = Arrays.copyOfRange(multikey, (int) codec[1], multikey.length);
                    if (key.length != algorithm.publicKeyLength()) {
                        throw new IllegalArgumentException("a " + algorithm.label() + " did:key carries "
                                + algorithm.publicKeyLength() + " key bytes, this one " + key.length);
                    }
                    return of(algorithm, key);
                }
            }
            throw new IllegalArgumentException("key type 0x" + Long.toHexString(codec[0])
                    + " is not supported (Updraft accepts Ed25519 and P-256)");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid did:key '" + did + "': " + e.getMessage(), e);
        }
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    /** The public key as did:key carries it (P-256 compressed). */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** This key as {@code did:key:z…}. */
    public String did() {
        return did;
    }

    AsymmetricKeyParameter parameters() {
        return parameters;
    }

    /**
     * Checks a signature over {@code data}: raw Ed25519 (64 bytes), or ES256 as COSE encodes it (r ‖ s,
     * 64 bytes; SHA-256 of {@code data} is what is signed). Malformed signatures are simply invalid.
     */
    public boolean verify(byte[] data, byte[] signature) {
        if (signature == null || signature.length != 64) {
            return false;
        }
        switch (algorithm) {
            case ED25519: {
                Ed25519Signer verifier = new Ed25519Signer();
                verifier.init(false, parameters);
                verifier.update(data, 0, data.length);
                return verifier.verifySignature(signature);
            }
            case P256: {
                BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, 32));
                BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
                ECDSASigner verifier = new ECDSASigner();
                verifier.init(false, parameters);
                return verifier.verifySignature(P256.sha256(data), r, s);
            }
            default:
                throw new IllegalStateException();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerificationKey k && did.equals(k.did);
    }

    @Override
    public int hashCode() {
        return did.hashCode();
    }

    @Override
    public String toString() {
        return did;
    }
}
