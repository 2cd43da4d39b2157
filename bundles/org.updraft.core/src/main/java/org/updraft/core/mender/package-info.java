/**
 * Mender artifacts, format version 3, as {@code mender-artifact} 3.9 writes and validates them: an uncompressed
 * tar whose entries are, in order, {@code version} (JSON: format mender, version 3), {@code manifest} (the SHA-256
 * of {@code version}, of the header archive and of every payload file, one {@code HEX  PATH} line each),
 * optionally {@code manifest.sig} (base64 of an RSA PKCS#1 v1.5 or ECDSA P-256 raw {@code r||s} signature over
 * the manifest, SHA-256), {@code header.tar[.gz]} ({@code header-info} with the payloads, artifact_provides and
 * artifact_depends; {@code headers/NNNN/type-info} per payload) and one {@code data/NNNN.tar[.gz]} per payload.
 * Header and data archives are read uncompressed or gzip-compressed; other compressions (xz, mender-artifact's
 * {@code lzma}) through a {@link org.updraft.core.mender.MenderVerifier.Decompressor} the caller gives, and refused
 * as unsupported without one: the library depends on no compression library.
 *
 * <p>Used by the embedded Linux device profile at publish ({@link org.updraft.core.mender.MenderVerifier}). Memory
 * stays bounded: payloads are streamed through the digest; only the small metadata files are held, each under its
 * own limit, and every length is checked against the artifact's size before it is read.
 */
@Export
@Version("1.0.0")
package org.updraft.core.mender;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
