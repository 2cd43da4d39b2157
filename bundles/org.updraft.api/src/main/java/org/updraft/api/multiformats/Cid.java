package org.updraft.api.multiformats;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * A content identifier as IPFS defines it: CIDv0 (a bare sha2-256 multihash of a dag-pb node, printed in
 * base58btc, {@code Qm…}) or CIDv1 (version, codec and multihash, printed in base32, {@code bafy…} for
 * dag-pb and {@code bafk…} for raw leaves). Equal CIDs mean equal bytes.
 */
public final class Cid implements Comparable<Cid> {

    /** Multicodec of a UnixFS dag-pb node. */
    public static final int DAG_PB = 0x70;
    /** Multicodec of a raw block. */
    public static final int RAW = 0x55;
    /** Multihash code of sha2-256. */
    public static final int SHA2_256 = 0x12;

    private final int version;
    private final int codec;
    private final byte[] digest;

    private Cid(int version, int codec, byte[] digest) {
        this.version = version;
        this.codec = codec;
        this.digest = digest;
    }

    /** A CIDv0: dag-pb, sha2-256. */
    public static Cid v0(byte[] sha256) {
        return new Cid(0, DAG_PB, checkDigest(sha256));
    }

    /** A CIDv1 with sha2-256. */
    public static Cid v1(int codec, byte[] sha256) {
        if (codec != DAG_PB && codec != RAW) {
            throw new IllegalArgumentException("unsupported codec 0x" + Integer.toHexString(codec));
        }
        return new Cid(1, codec, checkDigest(sha256));
    }

    private static byte[] checkDigest(byte[] sha256) {
        if (sha256 == null || sha256.length != 32) {
            throw new IllegalArgumentException("a sha2-256 digest has 32 bytes");
        }
        return sha256.clone();
    }

    /**
     * Parses a CID from its canonical text form, the one {@link #toString()} writes: {@code Qm…} (base58btc) for
     * v0, multibase base32 in lower case ({@code b…}) for v1. Other spellings of the same CID (base58btc v1
     * {@code z…}, upper case {@code B…}, surrounding blanks) are refused, naming the canonical one: a CID is a key in
     * the ledger's events, manifests, requests and file names, and one block with several names could slip past a
     * check made on the text, or be served and counted twice.
     *
     * @throws IllegalArgumentException with a message naming what is wrong
     */
    public static Cid parse(String text) {
        Objects.requireNonNull(text, "cid");
        Cid cid = decode(text);
        String canonical = cid.toString();
        if (!canonical.equals(text)) {
            throw new IllegalArgumentException("'" + text + "' is not a CID in canonical form: write it as "
                    + canonical);
        }
        return cid;
    }

    /**
     * Parses a CID as IPFS nodes and tools write it, in any spelling this class reads: v0 base58btc, v1 base32
     * ({@code b}/{@code B}) or base58btc ({@code z}; js-ipfs answers so). Only for what such a peer answers, which
     * is then used in its canonical form; what devices, manifests and operators send goes through {@link #parse}.
     *
     * @throws IllegalArgumentException with a message naming what is wrong
     */
    public static Cid parseAnySpelling(String text) {
        Objects.requireNonNull(text, "cid");
        return decode(text);
    }

    private static Cid decode(String text) {
        String t = text.trim();
        if (t.length() == 46 && t.startsWith("Qm")) {
            return fromBytes(Multibase.decodeBase58(t));
        }
        if (t.isEmpty() || (t.charAt(0) != 'b' && t.charAt(0) != 'B' && t.charAt(0) != 'z')) {
            throw new IllegalArgumentException("not a CID: '" + text + "'");
        }
        try {
            return fromBytes(Multibase.decode(t));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a CID: '" + text + "' (" + e.getMessage() + ")");
        }
    }

    /** Parses the binary form of a CID (v0: the 34-byte multihash; v1: version, codec, multihash). */
    public static Cid fromBytes(byte[] bytes) {
        if (bytes.length == 34 && bytes[0] == SHA2_256 && bytes[1] == 32) {
            return v0(Arrays.copyOfRange(bytes, 2, 34));
        }
        long[] version = Varint.decode(bytes, 0);
        if (version[0] != 1) {
            throw new IllegalArgumentException("unsupported CID version " + version[0]);
        }
        int pos = (int) version[1];
        long[] codec = Varint.decode(bytes, pos);
        pos += (int) codec[1];
        long[] hash = Varint.decode(bytes, pos);
        pos += (int) hash[1];
        long[] length = Varint.decode(bytes, pos);
        pos += (int) length[1];
        if (hash[0] != SHA2_256 || length[0] != 32 || bytes.length - pos != 32) {
            throw new IllegalArgumentException("only sha2-256 multihashes of 32 bytes are supported");
        }
        return v1((int) codec[0], Arrays.copyOfRange(bytes, pos, pos + 32));
    }

    public int version() {
        return version;
    }

    /** The multicodec of the block this CID names: {@link #DAG_PB} or {@link #RAW}. */
    public int codec() {
        return codec;
    }

    /** The sha2-256 digest of the block this CID names. */
    public byte[] digest() {
        return digest.clone();
    }

    /** The multihash: code, length, digest. */
    public byte[] multihash() {
        byte[] mh = new byte[34];
        mh[0] = SHA2_256;
        mh[1] = 32;
        System.arraycopy(digest, 0, mh, 2, 32);
        return mh;
    }

    /** The binary form, as it appears inside dag-pb links. */
    public byte[] toBytes() {
        if (version == 0) {
            return multihash();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(36);
        out.writeBytes(Varint.encode(1));
        out.writeBytes(Varint.encode(codec));
        out.writeBytes(multihash());
        return out.toByteArray();
    }

    /** This CID as CIDv1 (the same block). */
    public Cid toV1() {
        return version == 1 ? this : new Cid(1, codec, digest);
    }

    /** The canonical text form: base58btc for v0, multibase base32 for v1. */
    @Override
    public String toString() {
        return version == 0 ? Multibase.encodeBase58(multihash()) : "b" + Multibase.encodeBase32(toBytes());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cid other && version == other.version && codec == other.codec
                && Arrays.equals(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * version + codec) + Arrays.hashCode(digest);
    }

    @Override
    public int compareTo(Cid o) {
        return toString().compareTo(o.toString());
    }
}
