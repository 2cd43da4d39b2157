/**
 * MCUboot images (the format of MCUboot's {@code imgtool}): parse and check an image, verify its hash and its
 * Ed25519 or ECDSA P-256 signature against an image key, check that it fits a slot, and sign a firmware binary
 * into the exact bytes {@code imgtool sign} writes. Shared by the MCUboot device profile (checks at publish),
 * the device agent (checks before install) and the offline CLI ({@code updraft mcuboot-sign},
 * {@code mcuboot-verify}).
 *
 * <p>Layout of an image, all integers little-endian:
 * <pre>
 *   header (hdr_size bytes; the first 32 are the fields of {@link org.updraft.core.mcuboot.ImageHeader})
 *   payload (img_size bytes)
 *   protected TLV area (protect_tlv_size bytes: info 0x6908 + total, then TLVs such as SEC_CNT)
 *   TLV area (info 0x6907 + total, then the hash, key hash and signature TLVs)
 *   [padding and trailer up to the slot size, when padded]
 * </pre>
 * The hash TLV is the digest of header, payload and protected TLV area; the signature is over that digest
 * (Ed25519, ECDSA) or, for "pure" Ed25519, over those bytes themselves.
 *
 * <p>How each consumer calls it:
 * <ul>
 * <li>a profile, at publish: {@code new ImageVerifier().verify(ImageSource.of(channel), ImageKey.of(classKey))},
 *     then {@link org.updraft.core.mcuboot.SlotLayout#check} for the class's slot and
 *     {@link org.updraft.core.mcuboot.SecurityCounterRule#check} against the previous release; each refusal is
 *     an {@link org.updraft.core.mcuboot.ImageException} whose {@code problem()} is the reason code and whose
 *     message is the one-line reason;</li>
 * <li>the device agent, before it marks the secondary slot for a test swap: the same verify over the slot's
 *     bytes ({@code ImageSource.of(byte[])}) with the key the bootloader holds;</li>
 * <li>the CLI: {@link org.updraft.core.mcuboot.ImageSigner} with {@link org.updraft.core.mcuboot.SignOptions}
 *     built from imgtool's options, and the verifier.</li>
 * </ul>
 *
 * <p>Memory stays bounded whatever the input: the payload is streamed through the digest, and only the header
 * and the TLV areas (at most 64 KiB each, their size being a 16-bit field) are read into memory.
 * {@link org.updraft.core.mcuboot.SecurityCounterRule} states how an image's security counter relates to its
 * release's sequence number.
 */
@Export
@Version("1.0.0")
package org.updraft.core.mcuboot;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
