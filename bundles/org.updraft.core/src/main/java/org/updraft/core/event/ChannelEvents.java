package org.updraft.core.event;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.api.multiformats.Cid;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;

/**
 * Payload of {@code channel.published}, a release channel moved, as a deterministic CBOR map. The event's actor
 * is the platform's log key (an operator action); {@code by} names the operator.
 *
 * <pre>
 * channel.published {"vendor": text, "class": text, "channel": text, "release": text, "sequence": uint,
 *                    "manifest": text, "name": text, "forced": bool, "by": text}
 *                   manifest: the CID of the release's signed manifest, as text; name: the channel's stable name
 *                   (the IPNS name); forced: the operator moved the channel to a lower sequence on purpose
 * </pre>
 */
public final class ChannelEvents {

    /** The event type, as {@code org.updraft.api.channel.ReleaseChannels.EVENT_TYPE} names it. */
    public static final String TYPE = "channel.published";

    /** {@code channel.published}. */
    public record Published(String vendor, String deviceClass, String channel, String release, long sequence,
            Cid manifest, String name, boolean forced, String by) {
    }

    private ChannelEvents() {
    }

    public static byte[] published(Published p) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("vendor", p.vendor());
        map.put("class", p.deviceClass());
        map.put("channel", p.channel());
        map.put("release", p.release());
        map.put("sequence", p.sequence());
        map.put("manifest", p.manifest().toString());
        map.put("name", p.name());
        map.put("forced", p.forced());
        map.put("by", p.by());
        return Cbor.encode(map);
    }

    /**
     * Decodes the payload of a {@code channel.published} event.
     *
     * @throws CborException when it does not match the schema
     */
    public static Published decodePublished(byte[] payload) throws CborException {
        Object raw = Cbor.decode(payload);
        CborMap map = CborMap.of(TYPE, raw).onlyKeys(List.of("vendor", "class", "channel", "release", "sequence",
                "manifest", "name", "forced", "by"));
        // CborMap reads no booleans; the decoded map holds a Boolean
        if (!(((Map<?, ?>) raw).get("forced") instanceof Boolean forced)) {
            throw new CborException(TYPE + ": field 'forced' must be true or false");
        }
        Cid manifest;
        try {
            manifest = Cid.parse(map.text("manifest"));
        } catch (IllegalArgumentException e) {
            throw new CborException(TYPE + ": field 'manifest' is not a CID: " + e.getMessage());
        }
        return new Published(map.text("vendor"), map.text("class"), map.text("channel"), map.text("release"),
                map.unsigned("sequence"), manifest, map.text("name"), forced, map.text("by"));
    }
}
