package org.updraft.core.identity;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;

/** The P-256 curve, with BouncyCastle's fast custom implementation, and the SHA-256 pre-hash ES256 uses. */
final class P256 {

    static final ECDomainParameters DOMAIN;

    static {
        X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
        // named, so key files carry the curve's OID rather than explicit parameters
        DOMAIN = new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, x9);
    }

    private P256() {
    }

    /** SHA-256 with the JDK: its intrinsic is several times faster than BouncyCastle's pure-Java digest. */
    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** r and s as the 64-byte big-endian concatenation COSE ES256 prescribes. */
    static byte[] toRaw(BigInteger r, BigInteger s) {
        byte[] raw = new byte[64];
        copy(r, raw, 0);
        copy(s, raw, 32);
        return raw;
    }

    private static void copy(BigInteger n, byte[] to, int offset) {
        byte[] b = n.toByteArray();
        int len = Math.min(b.length, 32);
        System.arraycopy(b, b.length - len, to, offset + 32 - len, len);
    }
}
