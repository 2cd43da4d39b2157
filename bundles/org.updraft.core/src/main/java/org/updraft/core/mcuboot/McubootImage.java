package org.updraft.core.mcuboot;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The structure of an MCUboot image, as read from its header and TLV areas: what {@code imgtool dumpinfo} shows.
 * Reading checks the structure only (magic, sizes, TLV areas within the file, TLVs in the area the bootloader
 * accepts them in); {@link ImageVerifier} checks the hash and the signature.
 *
 * @param header the header
 * @param protectedTlvs the protected TLVs (covered by the hash), in order
 * @param tlvs the unprotected TLVs (hash, key, signatures), in order
 * @param tlvAreaSize bytes of the unprotected TLV area, its info included
 */
public record McubootImage(ImageHeader header, List<Tlv> protectedTlvs, List<Tlv> tlvs, int tlvAreaSize) {

    /**
     * The only TLVs MCUboot accepts outside the protected area (its {@code allowed_unprot_tlvs}); anything else
     * there (a security counter, a dependency) would not be covered by the hash.
     */
    private static final Set<Integer> UNPROTECTED = Set.of(Tlv.KEYHASH, Tlv.PUBKEY, Tlv.SHA256, Tlv.SHA384,
            Tlv.SHA512, Tlv.RSA2048, Tlv.ECDSA224, Tlv.ECDSASIG, Tlv.RSA3072, Tlv.ED25519, Tlv.SIG_PURE,
            Tlv.ENCRSA2048, Tlv.ENCKW, Tlv.ENCEC256, Tlv.ENCX25519, Tlv.ENCX25519_SHA512);

    public McubootImage {
        protectedTlvs = List.copyOf(protectedTlvs);
        tlvs = List.copyOf(tlvs);
    }

    /**
     * Reads and checks the structure of the image at the start of {@code source}. Bytes after the TLV area
     * (padding, the trailer of a padded image) are allowed and ignored.
     *
     * @throws ImageException with the first structural problem found
     * @throws IOException when the source cannot be read
     */
    public static McubootImage read(ImageSource source) throws ImageException, IOException {
        long size = source.size();
        if (size < ImageHeader.SIZE) {
            throw new ImageException(ImageProblem.TRUNCATED, String.format("file of 0x%x bytes is shorter than an "
                    + "MCUboot header (0x%x bytes)", size, ImageHeader.SIZE));
        }
        try {
            ImageHeader header = ImageHeader.decode(bytes(source, 0, ImageHeader.SIZE));
            long payloadEnd = header.headerSize() + header.imageSize();
            if (payloadEnd + Tlv.INFO_SIZE > size) {
                throw new ImageException(ImageProblem.TRUNCATED, String.format("truncated: the header says header "
                        + "and payload end at 0x%x, a TLV area follows, but the file has 0x%x bytes", payloadEnd,
                        size));
            }
            ByteBuffer info = ByteBuffer.wrap(bytes(source, payloadEnd, Tlv.INFO_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            int magic = Short.toUnsignedInt(info.getShort());
            int total = Short.toUnsignedInt(info.getShort());
            List<Tlv> protectedTlvs = List.of();
            if (header.protectedTlvSize() > 0) {
                if (magic != Tlv.PROTECTED_INFO_MAGIC) {
                    throw new ImageException(ImageProblem.BAD_TLV, String.format("the header announces 0x%x bytes of "
                            + "protected TLVs, but at 0x%x the magic is 0x%04x, not 0x%04x",
                            header.protectedTlvSize(), payloadEnd, magic, Tlv.PROTECTED_INFO_MAGIC));
                }
                if (total != header.protectedTlvSize()) {
                    throw new ImageException(ImageProblem.BAD_TLV, String.format("protected TLV area of 0x%x bytes, "
                            + "but the header says 0x%x", total, header.protectedTlvSize()));
                }
                protectedTlvs = entries(source, size, payloadEnd, total, "protected TLV area");
                for (Tlv t : protectedTlvs) {
                    if (t.type() == Tlv.SEC_CNT && t.length() != 4) {
                        throw new ImageException(ImageProblem.BAD_TLV, String.format("security counter TLV at 0x%x "
                                + "has %d bytes, not 4", t.offset(), t.length()));
                    }
                }
            } else if (magic == Tlv.PROTECTED_INFO_MAGIC) {
                throw new ImageException(ImageProblem.BAD_TLV, String.format("protected TLV area at 0x%x, but the "
                        + "header's protect_tlv_size is 0", payloadEnd));
            }
            long tlvStart = payloadEnd + header.protectedTlvSize();
            if (tlvStart + Tlv.INFO_SIZE > size) {
                throw new ImageException(ImageProblem.TRUNCATED, String.format("truncated: the TLV area should "
                        + "start at 0x%x, but the file has 0x%x bytes", tlvStart, size));
            }
            info = ByteBuffer.wrap(bytes(source, tlvStart, Tlv.INFO_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            magic = Short.toUnsignedInt(info.getShort());
            total = Short.toUnsignedInt(info.getShort());
            if (magic != Tlv.INFO_MAGIC) {
                throw new ImageException(ImageProblem.BAD_TLV, String.format("no TLV area at 0x%x: magic 0x%04x, "
                        + "not 0x%04x", tlvStart, magic, Tlv.INFO_MAGIC));
            }
            List<Tlv> tlvs = entries(source, size, tlvStart, total, "TLV area");
            for (Tlv t : tlvs) {
                if (!UNPROTECTED.contains(t.type())) {
                    throw new ImageException(ImageProblem.BAD_TLV, Tlv.name(t.type()) + " at 0x"
                            + Long.toHexString(t.offset()) + " is outside the protected TLV area: the hash does not "
                            + "cover it, and MCUboot refuses it there");
                }
            }
            return new McubootImage(header, protectedTlvs, tlvs, total);
        } catch (EOFException e) {
            // the source shrank while it was read
            throw new ImageException(ImageProblem.TRUNCATED, "truncated while reading: " + e.getMessage());
        }
    }

    private static List<Tlv> entries(ImageSource source, long size, long start, int total, String area)
            throws ImageException, IOException {
        if (total < Tlv.INFO_SIZE) {
            throw new ImageException(ImageProblem.BAD_TLV, String.format("%s at 0x%x says it has 0x%x bytes, less "
                    + "than its own 4-byte info", area, start, total));
        }
        if (start + total > size) {
            throw new ImageException(ImageProblem.TRUNCATED, String.format("truncated: the %s at 0x%x has 0x%x "
                    + "bytes, but the file ends at 0x%x", area, start, total, size));
        }
        ByteBuffer b = ByteBuffer.wrap(bytes(source, start, total)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(Tlv.INFO_SIZE);
        List<Tlv> entries = new ArrayList<>();
        while (b.hasRemaining()) {
            long at = start + b.position();
            if (b.remaining() < Tlv.INFO_SIZE) {
                throw new ImageException(ImageProblem.BAD_TLV, String.format("%s ends inside a TLV header at 0x%x",
                        area, at));
            }
            int type = Short.toUnsignedInt(b.getShort());
            int length = Short.toUnsignedInt(b.getShort());
            if (length > b.remaining()) {
                throw new ImageException(ImageProblem.BAD_TLV, String.format("%s at 0x%x: its %d bytes run past "
                        + "the area's end at 0x%x", Tlv.name(type), at, length, start + total));
            }
            byte[] value = new byte[length];
            b.get(value);
            entries.add(new Tlv(type, value, at));
        }
        return entries;
    }

    private static byte[] bytes(ImageSource source, long position, int length) throws IOException {
        byte[] b = new byte[length];
        source.read(position, b, 0, length);
        return b;
    }

    /** Bytes the hash and signature cover: header, payload and protected TLV area. */
    public long hashedSize() {
        return header.headerSize() + header.imageSize() + header.protectedTlvSize();
    }

    /** Bytes of the image proper, up to the end of its TLV area (a padded image's file is longer). */
    public long size() {
        return hashedSize() + tlvAreaSize;
    }

    public ImageVersion version() {
        return header.version();
    }

    /** The security counter of the protected SEC_CNT TLV, if the image has one. */
    public OptionalLong securityCounter() {
        for (Tlv t : protectedTlvs) {
            if (t.type() == Tlv.SEC_CNT) {
                return OptionalLong.of(Integer.toUnsignedLong(ByteBuffer.wrap(t.value())
                        .order(ByteOrder.LITTLE_ENDIAN).getInt()));
            }
        }
        return OptionalLong.empty();
    }

    /** The first unprotected TLV of {@code type}. */
    public Optional<Tlv> tlv(int type) {
        return tlvs.stream().filter(t -> t.type() == type).findFirst();
    }

    /** Every unprotected TLV of {@code type}, in order. */
    public List<Tlv> tlvs(int type) {
        return tlvs.stream().filter(t -> t.type() == type).toList();
    }
}
