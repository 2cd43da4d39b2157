package org.updraft.core.event;

import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.updraft.api.device.DeviceFilter;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.TimeWindow;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;

/**
 * Payloads of the rollout events, each a deterministic CBOR map. Operator actions are appended with the
 * platform's log key as the event's actor; {@code by} names the operator (or {@code platform} for a change the
 * thresholds decided).
 *
 * <pre>
 * rollout.created  {"rollout": text, "release": text, "target": target, "waves": [wave…], "by": text}
 *   target         {? "vendor": text, ? "class": text, ? "profile": text, "tags": [text…], ? "region": text,
 *                   ? "versions": text}
 *   wave           {"name": text, "selector": text, "success": text, "error": text, "auto-advance": bool,
 *                   ? "window": text, "cap": uint}
 *                  selector in its text form (devices:ID,ID | region:NAME | percent:N), thresholds as decimal
 *                  percentages in text (CBOR floats are not part of Updraft's formats), window HH:MM-HH:MM UTC
 * rollout.changed  {"rollout": text, "state": text, "wave": uint, ? "reason": text, "by": text, "after": uint}
 *                  state: draft | running | paused | completed | cancelled; wave: the current wave afterwards;
 *                  after: ledger index of the rollout's state event this change follows. A change whose
 *                  "after" is not the rollout's latest state event lost a race with another node and is
 *                  ignored by every replay (compare-and-set on the ledger).
 * rollout.offered  {"rollout": text, "device": text, "release": text, "wave": uint}
 *                  the first offer of the rollout's release to a device, with the wave that took it
 * </pre>
 */
public final class RolloutEvents {

    /** {@code rollout.created}. */
    public record Created(String rollout, String release, DeviceFilter target, List<WaveSpec> waves, String by) {
        public Created {
            waves = List.copyOf(waves);
        }
    }

    /** {@code rollout.changed}. */
    public record Changed(String rollout, RolloutState state, int wave, String reason, String by, long after) {
    }

    /**
     * {@code rollout.offered}: the first offer of a rollout to a device; {@code delta} is the CID of the patch
     * offered with it beside the full image, or {@code null} (an optional field, absent from older events).
     * {@code unauthenticated}: the offer answered a request nothing proved came from the device (unencrypted CoAP);
     * such an offer takes no slot of its wave's download cap until the device's own signed report comes (optional,
     * written only when true).
     */
    public record Offered(String rollout, String device, String release, int wave, String delta,
            boolean unauthenticated) {
        /** A first offer of the full image only. */
        public Offered(String rollout, String device, String release, int wave) {
            this(rollout, device, release, wave, null);
        }

        /** A first offer to a device whose transport proved who it is. */
        public Offered(String rollout, String device, String release, int wave, String delta) {
            this(rollout, device, release, wave, delta, false);
        }
    }

    private RolloutEvents() {
    }

    public static byte[] created(Created c) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("rollout", c.rollout());
        map.put("release", c.release());
        map.put("target", target(c.target()));
        List<Object> waves = new ArrayList<>();
        for (WaveSpec w : c.waves()) {
            Map<Object, Object> wave = new TreeMap<>();
            wave.put("name", w.name());
            wave.put("selector", w.selector().toString());
            wave.put("success", percentText(w.successPercent()));
            wave.put("error", percentText(w.errorPercent()));
            wave.put("auto-advance", w.autoAdvance());
            if (w.window() != null) {
                wave.put("window", w.window().toString());
            }
            wave.put("cap", (long) w.maxConcurrentDownloads());
            waves.add(wave);
        }
        map.put("waves", waves);
        map.put("by", c.by());
        return Cbor.encode(map);
    }

    public static byte[] changed(Changed c) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("rollout", c.rollout());
        map.put("state", stateName(c.state()));
        map.put("wave", (long) c.wave());
        if (c.reason() != null) {
            map.put("reason", c.reason());
        }
        map.put("by", c.by());
        map.put("after", c.after());
        return Cbor.encode(map);
    }

    public static byte[] offered(Offered o) {
        Map<Object, Object> map = new TreeMap<>(Map.of("rollout", o.rollout(), "device", o.device(), "release",
                o.release(), "wave", (long) o.wave()));
        if (o.delta() != null) {
            map.put("delta", o.delta());
        }
        if (o.unauthenticated()) {
            // absent otherwise: offers made before the flag existed read as they were written
            map.put("unauthenticated", true);
        }
        return Cbor.encode(map);
    }

    /**
     * Decodes the payload of a rollout event.
     *
     * @return a {@link Created}, {@link Changed} or {@link Offered}
     * @throws CborException when the payload does not match its type's schema
     */
    public static Record decode(String type, byte[] payload) throws CborException {
        switch (type) {
            case EventTypes.ROLLOUT_CREATED: {
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("rollout", "release", "target", "waves", "by"));
                List<WaveSpec> waves = new ArrayList<>();
                for (Object o : map.list("waves")) {
                    waves.add(wave(o));
                }
                if (waves.isEmpty()) {
                    throw new CborException(type + ": a rollout needs at least one wave");
                }
                return new Created(map.text("rollout"), map.text("release"), target(map.map("target")), waves,
                        map.text("by"));
            }
            case EventTypes.ROLLOUT_CHANGED: {
                CborMap map = CborMap.decode(type, payload)
                        .onlyKeys(List.of("rollout", "state", "wave", "reason", "by", "after"));
                return new Changed(map.text("rollout"), state(map.text("state")), intField(map, "wave"),
                        map.optionalText("reason"), map.text("by"), map.unsigned("after"));
            }
            case EventTypes.ROLLOUT_OFFERED: {
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("rollout", "device", "release", "wave",
                        "delta", "unauthenticated"));
                return new Offered(map.text("rollout"), map.text("device"), map.text("release"), intField(map, "wave"),
                        map.has("delta") ? map.text("delta") : null, map.flag("unauthenticated"));
            }
            default:
                throw new CborException("'" + type + "' is not a rollout event");
        }
    }

    /** The wire name of a state: its enum name in lower case. */
    public static String stateName(RolloutState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    private static RolloutState state(String name) throws CborException {
        for (RolloutState s : RolloutState.values()) {
            if (stateName(s).equals(name)) {
                return s;
            }
        }
        throw new CborException("rollout.changed: unknown state '" + name + "'");
    }

    /** A percentage as decimal text that parses back to the same double: {@code 95}, {@code 12.5}. */
    static String percentText(double percent) {
        return percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent);
    }

    private static Map<Object, Object> target(DeviceFilter f) {
        Map<Object, Object> map = new TreeMap<>();
        putIfSet(map, "vendor", f.vendor());
        putIfSet(map, "class", f.deviceClass());
        putIfSet(map, "profile", f.profile());
        map.put("tags", List.copyOf(new TreeSet<>(f.tags())));
        putIfSet(map, "region", f.region());
        putIfSet(map, "versions", f.versionRange());
        return map;
    }

    private static DeviceFilter target(CborMap map) throws CborException {
        map.onlyKeys(List.of("vendor", "class", "profile", "tags", "region", "versions"));
        Set<String> tags = new TreeSet<>();
        for (Object t : map.list("tags")) {
            if (!(t instanceof String s)) {
                throw new CborException("rollout.created: target tags must be text strings");
            }
            tags.add(s);
        }
        return new DeviceFilter(map.optionalText("vendor"), map.optionalText("class"), map.optionalText("profile"),
                tags, map.optionalText("region"), map.optionalText("versions"));
    }

    private static WaveSpec wave(Object raw) throws CborException {
        CborMap map = CborMap.of("rollout.created wave", raw)
                .onlyKeys(List.of("name", "selector", "success", "error", "auto-advance", "window", "cap"));
        // CborMap reads no booleans; the decoded map holds a Boolean
        if (!(((Map<?, ?>) raw).get("auto-advance") instanceof Boolean autoAdvance)) {
            throw new CborException("rollout.created: wave field 'auto-advance' must be true or false");
        }
        try {
            String window = map.optionalText("window");
            long cap = map.unsigned("cap");
            if (cap > Integer.MAX_VALUE) {
                throw new CborException("rollout.created: wave cap " + cap + " is too large");
            }
            return new WaveSpec(map.text("name"), WaveSelector.parse(map.text("selector")),
                    percent(map, "success"), percent(map, "error"), autoAdvance,
                    window == null ? null : TimeWindow.parse(window), (int) cap);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new CborException("rollout.created: " + e.getMessage());
        }
    }

    private static double percent(CborMap map, String key) throws CborException {
        String text = map.text(key);
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new CborException("rollout.created: wave field '" + key + "' is not a number: " + text);
        }
    }

    private static int intField(CborMap map, String key) throws CborException {
        long n = map.unsigned(key);
        if (n > Integer.MAX_VALUE) {
            throw new CborException("field '" + key + "' is too large: " + n);
        }
        return (int) n;
    }

    private static void putIfSet(Map<Object, Object> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}
