package org.updraft.core.mcuboot;

import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An image whose hash matched, and whose signature verified under {@link #key()} when a key was given.
 *
 * @param image its structure
 * @param hash the hash algorithm of its hash TLV
 * @param digest the digest over header, payload and protected TLVs, as the hash TLV states it
 * @param key the key whose signature verified; null when only the hash was checked
 * @param pure whether the signature is pure Ed25519 (over the hashed bytes rather than the digest)
 */
public record VerifiedImage(McubootImage image, ImageHash hash, byte[] digest, ImageKey key, boolean pure) {

    public VerifiedImage {
        digest = digest.clone();
    }

    @Override
    public byte[] digest() {
        return digest.clone();
    }

    /** The digest in lower-case hex, as {@code imgtool verify} prints it. */
    public String digestHex() {
        return HexFormat.of().formatHex(digest);
    }

    public ImageVersion version() {
        return image.version();
    }

    public OptionalLong securityCounter() {
        return image.securityCounter();
    }

    /** The key whose signature verified, or empty when only the hash was checked. */
    public Optional<ImageKey> signer() {
        return Optional.ofNullable(key);
    }
}
