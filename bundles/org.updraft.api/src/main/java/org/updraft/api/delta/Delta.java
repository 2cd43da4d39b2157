package org.updraft.api.delta;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import org.updraft.api.multiformats.Cid;

/**
 * A recorded patch between two published releases of one vendor and device class: a device running
 * {@code fromRelease} can rebuild {@code toRelease}'s image from its own and the patch, then verifies what it built
 * against the signed manifest of {@code toRelease}, never the patch alone.
 *
 * @param fromRelease the release whose image is the base ({@code vendor/class/sequence})
 * @param toRelease the release whose image the patch builds
 * @param fromSha256 the base image's SHA-256: a device whose image has another digest must not apply the patch
 * @param toSha256 the built image's SHA-256, the one the target's signed manifest states
 * @param codec the {@link DeltaCodec#id()} that made the patch and applies it
 * @param patch the patch's CID in the firmware store
 * @param patchSize the patch's size in bytes
 * @param applyMemory the working memory in bytes applying the patch needs ({@link PatchInfo#applyMemory()})
 * @param ledgerIndex index of its {@code delta.published} event
 */
public record Delta(String fromRelease, String toRelease, byte[] fromSha256, byte[] toSha256, String codec,
        Cid patch, long patchSize, long applyMemory, long ledgerIndex) {

    public Delta {
        fromSha256 = fromSha256.clone();
        toSha256 = toSha256.clone();
        if (patchSize < 0 || applyMemory < 0) {
            throw new IllegalArgumentException("sizes must not be negative");
        }
    }

    @Override
    public byte[] fromSha256() {
        return fromSha256.clone();
    }

    @Override
    public byte[] toSha256() {
        return toSha256.clone();
    }

    /** Equal when every field is: the digests compared by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Delta d && fromRelease.equals(d.fromRelease) && toRelease.equals(d.toRelease)
                && Arrays.equals(fromSha256, d.fromSha256) && Arrays.equals(toSha256, d.toSha256)
                && codec.equals(d.codec) && patch.equals(d.patch) && patchSize == d.patchSize
                && applyMemory == d.applyMemory && ledgerIndex == d.ledgerIndex;
    }

    @Override
    public int hashCode() {
        return Objects.hash(fromRelease, toRelease, Arrays.hashCode(fromSha256), codec, patch, ledgerIndex);
    }

    /** How the shell and the logs name it: {@code acme/thermo/1 -> acme/thermo/2 (bsdiff)}. */
    public String label() {
        return fromRelease + " -> " + toRelease + " (" + codec + ")";
    }

    @Override
    public String toString() {
        return label() + " " + patch + ", " + patchSize + " bytes, base sha256 "
                + HexFormat.of().formatHex(fromSha256);
    }
}
