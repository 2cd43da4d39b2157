/**
 * SWUpdate update archives ({@code .swu}), as SWUpdate 2022.12 reads them: a cpio archive in the "new ASCII"
 * format ({@code 070701}, or {@code 070702} with a per-file checksum: {@code cpio -H crc}) whose first entry is
 * {@code sw-description} (libconfig syntax) and, in a signed archive, whose second is {@code sw-description.sig},
 * a detached CMS (PKCS#7) signature over it in DER. The images it names follow, each with its SHA-256 stated in
 * sw-description, so that the signature covers them all.
 *
 * <p>Shared by the embedded Linux device profile (checks at publish: {@link org.updraft.core.swu.SwuVerifier}) and
 * the offline CLI ({@code updraft swu-build}: {@link org.updraft.core.swu.SwuWriter}). Memory stays bounded: images
 * are streamed through the digest; only sw-description (at most {@value org.updraft.core.swu.SwDescription#MAX_SIZE}
 * bytes) and its signature are read into memory.
 */
@Export
@Version("1.0.0")
package org.updraft.core.swu;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
