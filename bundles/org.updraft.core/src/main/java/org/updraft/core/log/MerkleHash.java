package org.updraft.core.log;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hash functions of an RFC 9162 §2.1.1 Merkle tree over SHA-256: a leaf is {@code SHA-256(0x00 || data)},
 * an interior node {@code SHA-256(0x01 || left || right)}, and the tree of no leaves {@code SHA-256("")}. The
 * different prefixes keep a leaf from ever being taken for a node.
 */
public final class MerkleHash {

    /** Length of every hash in the tree, in bytes. */
    public static final int SIZE = 32;

    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;

    // MessageDigest is not thread-safe and getInstance costs as much as hashing a node; the JDK digest
    // holds no reference to this bundle's classes, so a thread-local cannot pin the bundle's class loader.
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(MerkleHash::newDigest);

    private MerkleHash() {
    }

    /** {@code SHA-256(0x00 || data)}: the hash of one entry's leaf bytes. */
    public static byte[] leafHash(byte[] data) {
        return leafHash(data, 0, data.length);
    }

    /** {@code SHA-256(0x00 || data[offset, offset+length))}. */
    public static byte[] leafHash(byte[] data, int offset, int length) {
        MessageDigest sha = SHA256.get();
        sha.update(LEAF_PREFIX);
        sha.update(data, offset, length);
        return sha.digest();
    }

    /** {@code SHA-256(0x01 || left || right)}: the hash of an interior node. */
    public static byte[] nodeHash(byte[] left, byte[] right) {
        requireHash(left, "left child hash");
        requireHash(right, "right child hash");
        MessageDigest sha = SHA256.get();
        sha.update(NODE_PREFIX);
        sha.update(left);
        sha.update(right);
        return sha.digest();
    }

    /** {@code SHA-256("")}: the root hash of the tree of no leaves. */
    public static byte[] emptyTreeHash() {
        return SHA256.get().digest();
    }

    static void requireHash(byte[] hash, String what) {
        if (hash == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (hash.length != SIZE) {
            throw new IllegalArgumentException(what + " has " + hash.length + " bytes, a SHA-256 hash has " + SIZE);
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
