package org.updraft.core.event;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.api.delta.Delta;
import org.updraft.api.multiformats.Cid;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;

/**
 * Payload of {@code delta.published}, a patch between two published releases, as a deterministic CBOR map. The
 * event's actor is the platform's log key: the platform made the patch, and a device trusts it only as far as the
 * image it rebuilds hashes to the target's signed manifest.
 *
 * <pre>
 * delta.published {"from": text, "to": text, "from-sha256": bstr(32), "to-sha256": bstr(32), "codec": text,
 *                  "patch": text, "size": uint, "memory": uint}
 *                 from, to: release ids (vendor/class/sequence); patch: the patch's CID as text; size: its bytes;
 *                 memory: the working memory applying it needs
 * </pre>
 */
public final class DeltaEvents {

    private static final List<String> KEYS = List.of("from", "to", "from-sha256", "to-sha256", "codec", "patch",
            "size", "memory");

    private DeltaEvents() {
    }

    public static byte[] published(Delta d) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("from", d.fromRelease());
        map.put("to", d.toRelease());
        map.put("from-sha256", d.fromSha256());
        map.put("to-sha256", d.toSha256());
        map.put("codec", d.codec());
        map.put("patch", d.patch().toString());
        map.put("size", d.patchSize());
        map.put("memory", d.applyMemory());
        return Cbor.encode(map);
    }

    /**
     * Decodes the payload of a {@code delta.published} event recorded at {@code ledgerIndex}.
     *
     * @throws CborException when it does not match the schema
     */
    public static Delta decodePublished(byte[] payload, long ledgerIndex) throws CborException {
        CborMap map = CborMap.decode("delta.published", payload).onlyKeys(KEYS);
        byte[] from = map.bytes("from-sha256");
        byte[] to = map.bytes("to-sha256");
        if (from.length != 32 || to.length != 32) {
            throw new CborException("delta.published: from-sha256 and to-sha256 must be 32 bytes");
        }
        Cid patch;
        try {
            patch = Cid.parse(map.text("patch"));
        } catch (IllegalArgumentException e) {
            throw new CborException("delta.published: field 'patch' is not a CID: " + e.getMessage());
        }
        return new Delta(map.text("from"), map.text("to"), from, to, map.text("codec"), patch, map.unsigned("size"),
                map.unsigned("memory"), ledgerIndex);
    }
}
