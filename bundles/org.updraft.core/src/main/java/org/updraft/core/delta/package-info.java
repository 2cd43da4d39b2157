/**
 * Binary deltas, the same code on the platform (making patches at publish), in the device agent and in the CLI:
 * {@link org.updraft.core.delta.BsdiffCodec} (BSDIFF40, interoperable with Debian's bsdiff and bspatch) and
 * {@link org.updraft.core.delta.VcdiffCodec} (RFC 3284 VCDIFF, interoperable with xdelta3 without secondary
 * compression), both implementing {@link org.updraft.api.delta.DeltaCodec}, and
 * {@link org.updraft.core.delta.Deltas#apply}, which applies any codec's patch as a device must: base checked,
 * output bounded, result hashed.
 */
@Export
@Version("1.1.0")
package org.updraft.core.delta;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
