package org.updraft.core.mcuboot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.updraft.core.identity.KeyAlgorithm;

/**
 * Turns a firmware binary into a signed MCUboot image, byte for byte as {@code imgtool sign} does with the same
 * key and options. Ed25519 signatures are deterministic, so whole images are equal. imgtool's ECDSA signatures
 * are random (ours are deterministic, RFC 6979): header, payload, protected TLVs and the TLVs before the
 * signature are equal, the signature and the TLV area's length (DER signatures vary by a byte or two) differ.
 *
 * <p>The firmware is read twice, streaming: once for the digest and the signature, once to write. Nothing is
 * written before every check has passed (options, input, slot size), so a refused input leaves {@code out}
 * untouched. If the firmware changes between the two passes the second one notices and fails: the caller must
 * then discard what was written (write to a temporary file and rename it on success).
 */
public final class ImageSigner {

    private static final int BUFFER = 64 * 1024;

    private final SignOptions options;
    private final ImageSigningKey key;

    /**
     * @param key the signing key; null for a hash-only image (imgtool without {@code --key})
     * @throws IllegalArgumentException when the key cannot sign with these options (imgtool refuses the same)
     */
    public ImageSigner(SignOptions options, ImageSigningKey key) {
        this.options = Objects.requireNonNull(options, "options");
        this.key = key;
        hash();
    }

    /** The hash imgtool picks for the key and {@code --sha}. */
    private ImageHash hash() {
        ImageHash chosen = options.hash();
        if (options.pure()) {
            if (key == null || key.algorithm() != KeyAlgorithm.ED25519) {
                throw new IllegalArgumentException("--pure needs an Ed25519 key: a pure signature is Ed25519 over "
                        + "the image itself");
            }
            return ImageHash.SHA512;
        }
        if (key == null || chosen == null) {
            return chosen == null ? ImageHash.SHA256 : chosen;
        }
        boolean allowed = key.algorithm() == KeyAlgorithm.ED25519
                ? chosen == ImageHash.SHA256 || chosen == ImageHash.SHA512
                : chosen == ImageHash.SHA256;
        if (!allowed) {
            throw new IllegalArgumentException("a " + key.imageKey().signatureName() + " key cannot be used with --sha "
                    + chosen.toString().substring(4) + " (allowed: " + (key.algorithm() == KeyAlgorithm.ED25519
                            ? "256, 512" : "256") + ")");
        }
        return chosen;
    }

    /**
     * Signs {@code firmware} into {@code out} (which is not closed).
     *
     * @throws ImageException {@link ImageProblem#BAD_INPUT} when the firmware lacks zeroed room for the header
     *         (without {@code --pad-header}), {@link ImageProblem#TOO_LARGE} when image and trailer exceed the slot
     */
    public SignedImage sign(ImageSource firmware, OutputStream out) throws ImageException, IOException {
        int headerSize = options.headerSize();
        long size = firmware.size();
        long inputStart = options.padHeader() ? 0 : headerSize;
        byte[] headerBlock = new byte[headerSize];
        if (options.padHeader()) {
            Arrays.fill(headerBlock, (byte) options.erasedValue());
        } else {
            if (size < headerSize) {
                throw new ImageException(ImageProblem.BAD_INPUT, String.format("firmware of 0x%x bytes is shorter "
                        + "than the 0x%x-byte header it should start with (add it with --pad-header)", size,
                        headerSize));
            }
            firmware.read(0, headerBlock, 0, headerSize);
            for (int i = 0; i < headerSize; i++) {
                if (headerBlock[i] != 0) {
                    throw new ImageException(ImageProblem.BAD_INPUT, String.format("firmware does not start with "
                            + "0x%x zero bytes for the header (byte 0x%x is 0x%02x): use --pad-header to add the "
                            + "header in front", headerSize, i, headerBlock[i]));
                }
            }
        }
        long payloadSize = size - inputStart;
        if (payloadSize > 0xffff_ffffL) {
            throw new ImageException(ImageProblem.TOO_LARGE, "firmware larger than 4 GiB");
        }
        byte[] protectedArea = options.securityCounter().isPresent()
                ? Tlv.area(Tlv.PROTECTED_INFO_MAGIC, Tlv.entry(Tlv.SEC_CNT, u32(options.securityCounter().getAsLong())))
                : new byte[0];
        ImageHeader header = new ImageHeader(options.headerAddress(), headerSize, protectedArea.length, payloadSize,
                options.flags(), options.version());
        System.arraycopy(header.encode(), 0, headerBlock, 0, ImageHeader.SIZE);

        ImageHash hash = hash();
        long hashedSize = headerSize + payloadSize + protectedArea.length;
        if (options.pure() && hashedSize > ImageVerifier.PURE_LIMIT) {
            throw new ImageException(ImageProblem.UNSUPPORTED, String.format("a pure signature over 0x%x bytes: "
                    + "supported up to 0x%x", hashedSize, ImageVerifier.PURE_LIMIT));
        }
        ByteArrayOutputStream region = options.pure() ? new ByteArrayOutputStream((int) hashedSize) : null;
        MessageDigest md = hash.newDigest();
        md.update(headerBlock);
        if (region != null) {
            region.write(headerBlock);
        }
        byte[] payloadDigest = stream(firmware, inputStart, payloadSize, md, region, null);
        md.update(protectedArea);
        if (region != null) {
            region.write(protectedArea);
        }
        byte[] digest = md.digest();

        List<byte[]> entries = new ArrayList<>();
        entries.add(Tlv.entry(hash.tlv(), digest));
        if (options.pure()) {
            entries.add(Tlv.entry(Tlv.SIG_PURE, new byte[] {1}));
        }
        if (key != null) {
            ImageKey pub = key.imageKey();
            entries.add(options.keyFormat() == SignOptions.KeyFormat.HASH
                    ? Tlv.entry(Tlv.KEYHASH, pub.keyHash(hash))
                    : Tlv.entry(Tlv.PUBKEY, pub.subjectPublicKeyInfo()));
            entries.add(Tlv.entry(pub.signatureTlv(), key.sign(region != null ? region.toByteArray() : digest)));
        }
        byte[] tlvArea = Tlv.area(Tlv.INFO_MAGIC, entries.toArray(byte[][]::new));
        long imageSize = hashedSize + tlvArea.length;
        SlotLayout slot = options.slot();
        if (slot.slotSize() > 0) {
            slot.check(imageSize);
        }

        out.write(headerBlock);
        byte[] again = stream(firmware, inputStart, payloadSize, null, null, out);
        if (!MessageDigest.isEqual(payloadDigest, again)) {
            throw new IOException("the firmware changed while it was being signed; sign it again");
        }
        out.write(protectedArea);
        out.write(tlvArea);
        long written = imageSize;
        if (options.pad()) {
            written = slot.slotSize();
            pad(out, slot.slotSize() - imageSize, slot);
        }
        return new SignedImage(header, hash, digest, imageSize, written, key == null ? null : key.imageKey());
    }

    /** Erased bytes up to the slot's end, which holds the boot magic (and image_ok = 1 when confirmed). */
    private void pad(OutputStream out, long bytes, SlotLayout slot) throws IOException {
        byte erased = (byte) options.erasedValue();
        byte[] tail = new byte[(int) slot.imageOkFromEnd()];
        Arrays.fill(tail, erased);
        byte[] magic = slot.bootMagic();
        System.arraycopy(magic, 0, tail, tail.length - magic.length, magic.length);
        if (options.confirm() && !slot.overwriteOnly()) {
            tail[0] = 1;
        }
        byte[] fill = new byte[(int) Math.min(BUFFER, bytes)];
        Arrays.fill(fill, erased);
        for (long left = bytes - tail.length; left > 0;) {
            int n = (int) Math.min(fill.length, left);
            out.write(fill, 0, n);
            left -= n;
        }
        out.write(tail);
    }

    /** Streams the payload into the digest, the pure-signature copy and the output; returns its own SHA-256. */
    private static byte[] stream(ImageSource firmware, long start, long length, MessageDigest digest,
            ByteArrayOutputStream copy, OutputStream out) throws IOException {
        MessageDigest check = ImageHash.SHA256.newDigest();
        byte[] buffer = new byte[(int) Math.min(BUFFER, Math.max(length, 1))];
        for (long at = 0; at < length;) {
            int n = (int) Math.min(buffer.length, length - at);
            firmware.read(start + at, buffer, 0, n);
            check.update(buffer, 0, n);
            if (digest != null) {
                digest.update(buffer, 0, n);
            }
            if (copy != null) {
                copy.write(buffer, 0, n);
            }
            if (out != null) {
                out.write(buffer, 0, n);
            }
            at += n;
        }
        return check.digest();
    }

    private static byte[] u32(long value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array();
    }
}
