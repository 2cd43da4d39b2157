/**
 * What every transport needs to serve images the same way: which images may be served (those of published
 * releases, {@link org.updraft.core.serving.ReleaseImages}) and block reads cut from the store's verified ranged
 * reads, a chunk read once for many blocks ({@link org.updraft.core.serving.ChunkCache}), and malformed input counted
 * by kind and logged at most once a minute per kind ({@link org.updraft.core.serving.CountedRefusals}).
 */
@Export
@Version("1.2.0")
package org.updraft.core.serving;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
