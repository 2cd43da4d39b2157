/**
 * Delta updates: a {@link org.updraft.api.delta.DeltaCodec} makes a patch from the image a device runs to a new
 * image, and applies it on the device, streaming from the old slot into the new one in bounded memory.
 *
 * <p>Codecs register as services with the property {@value org.updraft.api.delta.DeltaCodec#CODEC}; a device
 * profile names the codecs its devices accept and the working memory they can give them.
 *
 * <p>{@link org.updraft.api.delta.ReleaseDeltas} makes patches between published releases, stores them by CID and
 * records each on the ledger as a {@link org.updraft.api.delta.Delta}.
 */
@Export
@Version("1.1.0")
package org.updraft.api.delta;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
