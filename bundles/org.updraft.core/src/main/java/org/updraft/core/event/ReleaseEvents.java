package org.updraft.core.event;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestFormatException;
import org.updraft.core.manifest.SignedManifest;

/**
 * Payload of {@code release.published}: {@code {"release-id": text, "manifest": bstr, ? "by": text}}, the manifest
 * being the signed COSE_Sign1 bytes exactly as devices receive them, and {@code by} the operator who published it
 * (none for releases published on no operator's behalf, or before operators were named). The event's actor is the
 * manifest's signer; the event carries no signature of its own, the manifest's is inside.
 */
public final class ReleaseEvents {

    private ReleaseEvents() {
    }

    /** A published release and the operator who published it ({@code null} when none is named). */
    public record Published(SignedManifest manifest, String by) {
    }

    public static byte[] published(SignedManifest manifest, String by) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("release-id", manifest.manifest().releaseId());
        map.put("manifest", manifest.bytes());
        return OperatorField.encodeWith(map, by);
    }

    /** The payload of a release published on no operator's behalf. */
    public static byte[] published(SignedManifest manifest) {
        return published(manifest, null);
    }

    /**
     * Decodes the payload and parses its manifest.
     *
     * @throws CborException when the payload or its manifest is malformed, or the id does not match
     */
    public static SignedManifest decodePublished(byte[] payload) throws CborException {
        return decode(payload).manifest();
    }

    /**
     * Decodes the payload, its manifest and who published it.
     *
     * @throws CborException when the payload or its manifest is malformed, or the id does not match
     */
    public static Published decode(byte[] payload) throws CborException {
        CborMap map = CborMap.decode("release.published", payload)
                .onlyKeys(List.of("release-id", "manifest", "by"));
        SignedManifest manifest;
        try {
            manifest = ManifestCodec.parse(map.bytes("manifest"));
        } catch (ManifestFormatException e) {
            throw new CborException("release.published: " + e.getMessage());
        }
        if (!manifest.manifest().releaseId().equals(map.text("release-id"))) {
            throw new CborException("release.published: release id " + map.text("release-id")
                    + " does not match its manifest's " + manifest.manifest().releaseId());
        }
        return new Published(manifest, map.optionalText("by"));
    }
}
