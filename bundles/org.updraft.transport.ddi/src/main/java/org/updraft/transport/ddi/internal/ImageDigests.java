package org.updraft.transport.ddi.internal;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreException;

/**
 * The hashes hawkBit names for an artifact (SHA-1, MD5, SHA-256) of release images, read once from the store and
 * kept by CID. The image read must have the size and SHA-256 its signed manifest states, or nothing is kept and the
 * deployment is refused: a DDI client checks only these hashes, so they must be of the image the vendor signed.
 */
final class ImageDigests {

    /** An image's hashes (lower-case hex) and what its first bytes say it is. */
    record Digests(String sha1, String md5, String sha256, String extension) {
    }

    private static final int KEPT = 256;
    private final Map<Cid, Digests> known = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Cid, Digests> eldest) {
            return size() > KEPT;
        }
    };

    Digests of(Release release, FirmwareStore store) throws StoreException, IOException {
        synchronized (known) {
            Digests d = known.get(release.cid());
            if (d != null) {
                return d;
            }
        }
        Digests d = read(release, store);
        synchronized (known) {
            known.put(release.cid(), d);
        }
        return d;
    }

    private static Digests read(Release release, FirmwareStore store) throws StoreException, IOException {
        MessageDigest sha1 = digest("SHA-1");
        MessageDigest md5 = digest("MD5");
        MessageDigest sha256 = digest("SHA-256");
        byte[] head = new byte[6];
        int headLength = 0;
        long size = 0;
        try (InputStream in = store.get(release.cid())) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (headLength < head.length) {
                    int take = Math.min(n, head.length - headLength);
                    System.arraycopy(buffer, 0, head, headLength, take);
                    headLength += take;
                }
                sha1.update(buffer, 0, n);
                md5.update(buffer, 0, n);
                sha256.update(buffer, 0, n);
                size += n;
            }
        }
        byte[] sha = sha256.digest();
        if (size != release.size() || !MessageDigest.isEqual(sha, release.sha256())) {
            throw new IOException("the store's image of " + release.id() + " (" + release.cid() + ", " + size
                    + " bytes) is not the image its manifest signs (" + release.size() + " bytes, SHA-256 "
                    + HexFormat.of().formatHex(release.sha256()) + ")");
        }
        HexFormat hex = HexFormat.of();
        return new Digests(hex.formatHex(sha1.digest()), hex.formatHex(md5.digest()), hex.formatHex(sha),
                extension(head, headLength));
    }

    /** .swu for an SWUpdate archive (a cpio in newc or crc format starts with 070701 or 070702), else .bin. */
    static String extension(byte[] head, int length) {
        if (length == 6 && head[0] == '0' && head[1] == '7' && head[2] == '0' && head[3] == '7' && head[4] == '0'
                && (head[5] == '1' || head[5] == '2')) {
            return ".swu";
        }
        return ".bin";
    }

    static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
