package org.updraft.core.event;

import java.util.List;
import java.util.Map;

import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestFormatException;
import org.updraft.core.manifest.SignedManifest;

/**
 * Payload of {@code release.published}: {@code {"release-id": text, "manifest": bstr}}, the manifest being
 * the signed COSE_Sign1 bytes exactly as devices receive them. The event's actor is the manifest's signer;
 * the event carries no signature of its own, the manifest's is inside.
 */
public final class ReleaseEvents {

    private ReleaseEvents() {
    }

    public static byte[] published(SignedManifest manifest) {
        return Cbor.encode(Map.of("release-id", manifest.manifest().releaseId(), "manifest", manifest.bytes()));
    }

    /**
     * Decodes the payload and parses its manifest.
     *
     * @throws CborException when the payload or its manifest is malformed, or the id does not match
     */
    public static SignedManifest decodePublished(byte[] payload) throws CborException {
        CborMap map = CborMap.decode("release.published", payload).onlyKeys(List.of("release-id", "manifest"));
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
        return manifest;
    }
}
