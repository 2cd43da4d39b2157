package org.updraft.core.mcuboot;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import org.updraft.core.identity.KeyAlgorithm;

/**
 * Checks an MCUboot image as {@code imgtool verify} and the bootloader do: its structure, its hash over header,
 * payload and protected TLVs, and, when a key is given, that a signature TLV of that key verifies. Without a key
 * only the hash is checked (an unsigned image passes, as with imgtool).
 *
 * <p>Stateless and thread-safe. The payload is streamed through the digest; memory stays bounded by the TLV
 * areas (64 KiB each at most), except for pure Ed25519 signatures, whose message is the hashed bytes themselves:
 * those are held in memory up to {@link #PURE_LIMIT} bytes and refused beyond.
 */
public final class ImageVerifier {

    /** The largest hashed region whose pure Ed25519 signature is checked (Ed25519 needs the whole message). */
    public static final long PURE_LIMIT = 16L * 1024 * 1024;

    private static final int BUFFER = 64 * 1024;

    /** Verifies the image in a file (which may be padded to the slot size). */
    public VerifiedImage verify(Path file, ImageKey key) throws ImageException, IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return verify(ImageSource.of(channel), key);
        }
    }

    /**
     * Verifies the image at the start of {@code source}.
     *
     * @param key the image key; null to check the hash only
     * @throws ImageException with the reason: {@link ImageProblem#INVALID_HASH} for an altered image,
     *         {@link ImageProblem#NO_SIGNATURE} when no signature of {@code key} verifies, a structural problem
     *         otherwise
     * @throws IOException when the source cannot be read
     */
    public VerifiedImage verify(ImageSource source, ImageKey key) throws ImageException, IOException {
        McubootImage image = McubootImage.read(source);
        if (image.header().encrypted()) {
            throw new ImageException(ImageProblem.UNSUPPORTED, String.format("image is encrypted (flags 0x%x): its "
                    + "hash covers the plaintext, which only the device's decryption key reveals",
                    image.header().flags()));
        }
        Tlv hashTlv = hashTlv(image);
        ImageHash hash = ImageHash.ofTlv(hashTlv.type()).orElseThrow();
        if (hashTlv.length() != hash.length()) {
            throw new ImageException(ImageProblem.BAD_TLV, String.format("%s at 0x%x has %d bytes, not %d",
                    Tlv.name(hashTlv.type()), hashTlv.offset(), hashTlv.length(), hash.length()));
        }
        boolean pure = image.tlv(Tlv.SIG_PURE).isPresent();
        boolean keepRegion = pure && key != null && key.algorithm() == KeyAlgorithm.ED25519;
        if (keepRegion && image.hashedSize() > PURE_LIMIT) {
            throw new ImageException(ImageProblem.UNSUPPORTED, String.format("pure Ed25519 signature over 0x%x bytes: "
                    + "checked up to 0x%x only", image.hashedSize(), PURE_LIMIT));
        }
        ByteArrayOutputStream region = keepRegion ? new ByteArrayOutputStream((int) image.hashedSize()) : null;
        byte[] digest = digest(source, image.hashedSize(), hash.newDigest(), region);
        byte[] stated = hashTlv.value();
        if (!MessageDigest.isEqual(digest, stated)) {
            throw new ImageException(ImageProblem.INVALID_HASH, String.format("image has an invalid hash: %s over "
                    + "header, payload and protected TLVs (0x%x bytes) is %s, its %s TLV says %s", hash,
                    image.hashedSize(), hex(digest), Tlv.name(hashTlv.type()).replaceFirst(" .*", ""), hex(stated)));
        }
        if (key == null) {
            return new VerifiedImage(image, hash, digest, null, pure);
        }
        checkSignature(image, key, hash, pure, pure ? region.toByteArray() : digest);
        return new VerifiedImage(image, hash, digest, key, pure);
    }

    private static Tlv hashTlv(McubootImage image) throws ImageException {
        List<Tlv> hashes = image.tlvs().stream().filter(t -> ImageHash.ofTlv(t.type()).isPresent()).toList();
        if (hashes.isEmpty()) {
            throw new ImageException(ImageProblem.BAD_TLV, "image has no hash TLV (SHA256 0x10, SHA384 0x11 or "
                    + "SHA512 0x12)");
        }
        if (hashes.size() > 1) {
            throw new ImageException(ImageProblem.BAD_TLV, "image has " + hashes.size() + " hash TLVs; MCUboot "
                    + "expects one");
        }
        return hashes.get(0);
    }

    private static void checkSignature(McubootImage image, ImageKey key, ImageHash hash, boolean pure,
            byte[] message) throws ImageException {
        String none = "no signature found for the given key: ";
        List<Tlv> signatures = image.tlvs(key.signatureTlv());
        if (signatures.isEmpty()) {
            List<String> others = image.tlvs().stream().map(Tlv::type)
                    .filter(t -> t >= Tlv.RSA2048 && t <= Tlv.ED25519).distinct().map(Tlv::name).toList();
            throw new ImageException(ImageProblem.NO_SIGNATURE, none + (others.isEmpty()
                    ? "the image is not signed (it carries only a hash)"
                    : "the image is signed with " + String.join(", ", others) + ", the key is " + key.signatureName()));
        }
        if (pure && key.algorithm() != KeyAlgorithm.ED25519) {
            throw new ImageException(ImageProblem.NO_SIGNATURE, none + "a pure signature is Ed25519 only");
        }
        if (!pure && key.algorithm() == KeyAlgorithm.P256 && hash != ImageHash.SHA256) {
            throw new ImageException(ImageProblem.NO_SIGNATURE, none + "an ECDSA P-256 image is hashed with SHA-256, "
                    + "this one with " + hash);
        }
        // the bootloader skips a signature whose KEYHASH (or PUBKEY) names another key
        List<Tlv> named = image.tlvs().stream().filter(t -> t.type() == Tlv.KEYHASH || t.type() == Tlv.PUBKEY)
                .toList();
        if (!named.isEmpty() && named.stream().noneMatch(t -> names(t, key))) {
            Tlv first = named.get(0);
            throw new ImageException(ImageProblem.NO_SIGNATURE, none + (first.type() == Tlv.KEYHASH
                    ? "the image's key hash " + hex(first.value()) + " is another key's (the given key's is "
                            + hex(key.keyHash(keyHashAlgorithm(first))) + ")"
                    : "the image's public key is another key"));
        }
        for (Tlv signature : signatures) {
            if (key.verify(message, signature.value())) {
                return;
            }
        }
        throw new ImageException(ImageProblem.NO_SIGNATURE, none + "the " + Tlv.name(key.signatureTlv())
                + " signature does not verify" + (pure ? " over the image" : " over the image digest"));
    }

    private static boolean names(Tlv tlv, ImageKey key) {
        if (tlv.type() == Tlv.PUBKEY) {
            return Arrays.equals(tlv.value(), key.subjectPublicKeyInfo());
        }
        return MessageDigest.isEqual(tlv.value(), key.keyHash(keyHashAlgorithm(tlv)));
    }

    /** imgtool hashes the key with the image's hash algorithm: the KEYHASH's length tells which. */
    private static ImageHash keyHashAlgorithm(Tlv keyHash) {
        for (ImageHash h : ImageHash.values()) {
            if (h.length() == keyHash.length()) {
                return h;
            }
        }
        return ImageHash.SHA256;
    }

    private static byte[] digest(ImageSource source, long length, MessageDigest digest, ByteArrayOutputStream copy)
            throws IOException, ImageException {
        byte[] buffer = new byte[(int) Math.min(BUFFER, Math.max(length, 1))];
        try {
            for (long at = 0; at < length;) {
                int n = (int) Math.min(buffer.length, length - at);
                source.read(at, buffer, 0, n);
                digest.update(buffer, 0, n);
                if (copy != null) {
                    copy.write(buffer, 0, n);
                }
                at += n;
            }
        } catch (EOFException e) {
            throw new ImageException(ImageProblem.TRUNCATED, "truncated while hashing: " + e.getMessage());
        }
        return digest.digest();
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
