package org.updraft.core.log;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/**
 * The one encoding of a view's snapshot: which view, in which version of its state's encoding, of which log (its
 * key), at which tree size and root hash, and the state. A backend keeping snapshots seals them under the log key
 * ({@link #seal}): a CBOR array {@code [body, signature]} whose signature covers
 * {@code ["updraft-view-snapshot/1", SHA-256(body)]}, a statement no checkpoint's COSE {@code Sig_structure}
 * (an array starting with {@code "Signature1"}) can be confused with.
 */
public final class ViewSnapshot {

    /** Version of this envelope. */
    public static final int FORMAT = 1;
    private static final String STATEMENT = "updraft-view-snapshot/1";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");
    private static final List<String> KEYS = List.of("format", "view", "version", "log-key", "tree-size", "root",
            "state");

    /**
     * A decoded snapshot body.
     *
     * @param view the view's name
     * @param version the version of the state's encoding
     * @param logKey the did:key of the log it was taken of
     * @param treeSize the number of events applied to the state
     * @param rootHash the RFC 9162 root of those events
     * @param state the state's CBOR encoding
     */
    public record Body(String view, int version, String logKey, long treeSize, byte[] rootHash, byte[] state) {
    }

    private ViewSnapshot() {
    }

    /** Whether {@code name} can name a view's snapshot (it may become a file name). */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public static byte[] encode(Body b) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("format", FORMAT);
        map.put("view", b.view());
        map.put("version", b.version());
        map.put("log-key", b.logKey());
        map.put("tree-size", b.treeSize());
        map.put("root", b.rootHash());
        map.put("state", b.state());
        return Cbor.encode(map);
    }

    public static Body decode(byte[] body) throws CborException {
        CborMap map = CborMap.decode("view snapshot", body).onlyKeys(KEYS);
        long format = map.unsigned("format");
        if (format != FORMAT) {
            throw new CborException("view snapshot: format " + format + ", this version reads " + FORMAT);
        }
        byte[] root = map.bytes("root");
        if (root.length != MerkleHash.SIZE) {
            throw new CborException("view snapshot: the root hash is not " + MerkleHash.SIZE + " bytes");
        }
        long version = map.unsigned("version");
        if (version > Integer.MAX_VALUE) {
            throw new CborException("view snapshot: version out of range");
        }
        return new Body(map.text("view"), (int) version, map.text("log-key"), map.unsigned("tree-size"), root,
                map.bytes("state"));
    }

    /** Seals a snapshot body under the log key, as a backend stores it. */
    public static byte[] seal(byte[] body, SigningKey logKey) {
        return Cbor.encode(List.of(body, logKey.sign(statement(body))));
    }

    /**
     * The body of a sealed snapshot, once its seal verifies under the log key {@code logKeyDid}.
     *
     * @throws CborException when it is not a sealed snapshot or its seal does not verify
     */
    public static byte[] open(byte[] sealed, String logKeyDid) throws CborException {
        if (!(Cbor.decode(sealed) instanceof List<?> parts) || parts.size() != 2
                || !(parts.get(0) instanceof byte[] body) || !(parts.get(1) instanceof byte[] signature)) {
            throw new CborException("not a sealed view snapshot");
        }
        VerificationKey key;
        try {
            key = VerificationKey.fromDid(logKeyDid);
        } catch (IllegalArgumentException e) {
            throw new CborException("the log key " + logKeyDid + " is unusable: " + e.getMessage());
        }
        if (!key.verify(statement(body), signature)) {
            throw new CborException("its seal does not verify under the log key " + logKeyDid);
        }
        return body;
    }

    private static byte[] statement(byte[] body) {
        try {
            return Cbor.encode(List.of(STATEMENT, MessageDigest.getInstance("SHA-256").digest(body)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
