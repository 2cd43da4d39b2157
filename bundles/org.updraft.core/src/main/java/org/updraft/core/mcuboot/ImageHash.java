package org.updraft.core.mcuboot;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** The hash TLVs MCUboot knows; SHA-256 is what imgtool writes unless told otherwise. */
public enum ImageHash {
    SHA256(Tlv.SHA256, "SHA-256", 32),
    SHA384(Tlv.SHA384, "SHA-384", 48),
    SHA512(Tlv.SHA512, "SHA-512", 64);

    private final int tlv;
    private final String jdkName;
    private final int length;

    ImageHash(int tlv, String jdkName, int length) {
        this.tlv = tlv;
        this.jdkName = jdkName;
        this.length = length;
    }

    /** Its TLV type. */
    public int tlv() {
        return tlv;
    }

    /** Digest length in bytes. */
    public int length() {
        return length;
    }

    /** A JDK digest: it uses the CPU's SHA extensions, several times faster than a pure-Java one. */
    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + jdkName, e);
        }
    }

    public byte[] digest(byte[] data) {
        return newDigest().digest(data);
    }

    /** The hash a TLV type stands for. */
    public static Optional<ImageHash> ofTlv(int type) {
        for (ImageHash h : values()) {
            if (h.tlv == type) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /** {@code SHA-256}. */
    @Override
    public String toString() {
        return jdkName;
    }
}
