package org.updraft.core.mcuboot;

import java.util.HexFormat;

/**
 * What {@link ImageSigner} wrote.
 *
 * @param header the image's header
 * @param hash the hash algorithm of its hash TLV
 * @param digest the digest over header, payload and protected TLVs
 * @param imageSize bytes from the header to the end of the TLV area
 * @param written bytes written: {@code imageSize}, or the slot size when padded
 * @param key the key that signed it; null for a hash-only image
 */
public record SignedImage(ImageHeader header, ImageHash hash, byte[] digest, long imageSize, long written,
        ImageKey key) {

    public SignedImage {
        digest = digest.clone();
    }

    @Override
    public byte[] digest() {
        return digest.clone();
    }

    public String digestHex() {
        return HexFormat.of().formatHex(digest);
    }
}
