package org.updraft.core.identity;

import java.util.Locale;

/** The signature algorithms a manufacturer, a device or the log may use. */
public enum KeyAlgorithm {

    /** Ed25519 (RFC 8032): the default. COSE alg EdDSA (-8), multicodec ed25519-pub (0xed). */
    ED25519("ed25519", -8, 0xED, 32),
    /** ECDSA over P-256 with SHA-256, for MCUs with P-256 hardware. COSE alg ES256 (-7), multicodec p256-pub (0x1200). */
    P256("p256", -7, 0x1200, 33);

    private final String label;
    private final int coseAlgorithm;
    private final int multicodec;
    private final int publicKeyLength;

    KeyAlgorithm(String label, int coseAlgorithm, int multicodec, int publicKeyLength) {
        this.label = label;
        this.coseAlgorithm = coseAlgorithm;
        this.multicodec = multicodec;
        this.publicKeyLength = publicKeyLength;
    }

    /** The name used on command lines and in configuration: {@code ed25519} or {@code p256}. */
    public String label() {
        return label;
    }

    /** The COSE algorithm identifier (RFC 9053). */
    public int coseAlgorithm() {
        return coseAlgorithm;
    }

    /** The multicodec prefix of the public key in a did:key. */
    public int multicodec() {
        return multicodec;
    }

    /** Length of the public key as did:key carries it (P-256: the compressed point). */
    public int publicKeyLength() {
        return publicKeyLength;
    }

    /** Parses {@code ed25519} or {@code p256} (also {@code es256}, {@code p-256}), case-insensitively. */
    public static KeyAlgorithm fromLabel(String label) {
        String l = label == null ? "" : label.trim().toLowerCase(Locale.ROOT);
        switch (l) {
            case "ed25519":
            case "eddsa":
                return ED25519;
            case "p256":
            case "p-256":
            case "es256":
            case "secp256r1":
                return P256;
            default:
                throw new IllegalArgumentException("unknown key algorithm '" + label + "' (use ed25519 or p256)");
        }
    }

    /** The algorithm of a COSE alg identifier, or an exception naming it. */
    public static KeyAlgorithm fromCose(long alg) {
        for (KeyAlgorithm a : values()) {
            if (a.coseAlgorithm == alg) {
                return a;
            }
        }
        throw new IllegalArgumentException("unsupported COSE algorithm " + alg + " (Updraft accepts EdDSA -8 and ES256 -7)");
    }
}
