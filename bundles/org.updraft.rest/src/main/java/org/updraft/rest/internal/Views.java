package org.updraft.rest.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.TrustedKey;

/** The JSON shape of each domain object: field names as the shell's columns name them. */
final class Views {

    private Views() {
    }

    static Map<String, Object> device(Device d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("key", d.publicKey());
        m.put("vendor", d.vendor());
        m.put("class", d.deviceClass());
        m.put("profile", d.profile());
        m.put("region", d.region());
        m.put("tags", List.copyOf(d.tags()));
        m.put("version", d.installedVersion());
        m.put("sequence", d.installedSequence());
        m.put("state", d.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("lastSeen", time(d.lastSeen()));
        m.put("registered", time(d.registered()));
        return m;
    }

    static Map<String, Object> release(Release r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("vendor", r.vendor());
        m.put("class", r.deviceClass());
        m.put("profile", r.profile());
        m.put("version", r.version());
        m.put("sequence", r.sequence());
        m.put("size", r.size());
        m.put("sha256", Json.hex(r.sha256()));
        m.put("cid", r.cid().toString());
        m.put("signer", r.signer());
        m.put("created", time(r.created()));
        m.put("published", time(r.published()));
        m.put("ledgerIndex", r.ledgerIndex());
        m.put("manifest", Base64.getEncoder().encodeToString(r.manifest()));
        return m;
    }

    static Map<String, Object> rollout(Rollout r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("release", r.releaseId());
        m.put("state", r.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("currentWave", r.currentWave());
        m.put("reason", r.reason());
        m.put("target", filter(r.target()));
        List<Object> waves = new ArrayList<>();
        for (WaveSpec w : r.waves()) {
            Map<String, Object> wm = new LinkedHashMap<>();
            wm.put("name", w.name());
            wm.put("selector", w.selector().toString());
            wm.put("success", w.successPercent());
            wm.put("error", w.errorPercent());
            wm.put("manual", !w.autoAdvance());
            wm.put("window", w.window() == null ? null : w.window().toString());
            wm.put("cap", w.maxConcurrentDownloads());
            waves.add(wm);
        }
        m.put("waves", waves);
        m.put("created", time(r.created()));
        m.put("updated", time(r.updated()));
        m.put("ledgerIndex", r.ledgerIndex());
        return m;
    }

    static Map<String, Object> progress(RolloutProgress p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rollout", rollout(p.rollout()));
        List<Object> waves = new ArrayList<>();
        for (WaveProgress w : p.waves()) {
            Map<String, Object> wm = new LinkedHashMap<>();
            wm.put("index", w.index());
            wm.put("name", w.name());
            wm.put("status", w.status());
            wm.put("members", w.members());
            wm.put("offered", w.offered());
            wm.put("downloading", w.downloading());
            wm.put("downloaded", w.downloaded());
            wm.put("installed", w.installed());
            wm.put("failed", w.failed());
            wm.put("rolledBack", w.rolledBack());
            waves.add(wm);
        }
        m.put("waves", waves);
        m.put("bytesServed", p.bytesServed());
        return m;
    }

    static Map<String, Object> filter(DeviceFilter f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vendor", f.vendor());
        m.put("class", f.deviceClass());
        m.put("profile", f.profile());
        m.put("region", f.region());
        m.put("tags", List.copyOf(f.tags()));
        m.put("versions", f.versionRange());
        return m;
    }

    static Map<String, Object> key(TrustedKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("did", k.did());
        m.put("vendor", k.vendor());
        m.put("classes", List.copyOf(k.deviceClasses()));
        m.put("status", k.status().name().toLowerCase(java.util.Locale.ROOT));
        m.put("changed", time(k.changed()));
        m.put("successor", k.successor());
        m.put("reason", k.reason());
        m.put("ledgerIndex", k.ledgerIndex());
        return m;
    }

    static Map<String, Object> entry(LedgerEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", e.index());
        m.put("type", e.event().type());
        m.put("time", time(e.event().time()));
        m.put("actor", e.event().actor());
        m.put("by", by(e.event()));
        m.put("state", rolloutState(e.event()));
        m.put("signed", e.event().signature() != null);
        m.put("leafHash", Json.hex(e.leafHash()));
        m.put("payload", Base64.getEncoder().encodeToString(e.event().payload()));
        return m;
    }

    static Map<String, Object> checkpoint(Checkpoint c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("origin", c.origin());
        m.put("treeSize", c.treeSize());
        m.put("rootHash", Json.hex(c.rootHash()));
        m.put("timestamp", time(c.timestamp()));
        m.put("envelope", Base64.getEncoder().encodeToString(c.envelope()));
        return m;
    }

    /**
     * The operator a change names: a release's or a trust change's payload carries it (the event's actor is the
     * signer there); a rollout step's actor is the operator itself.
     */
    static String by(LedgerEvent event) {
        try {
            if (EventTypes.RELEASE_PUBLISHED.equals(event.type())) {
                return ReleaseEvents.decode(event.payload()).by();
            }
            if (event.type().startsWith("trust.")) {
                Record r = TrustEvents.decode(event.type(), event.payload());
                if (r instanceof TrustEvents.KeyRegistered k) {
                    return k.by();
                }
                if (r instanceof TrustEvents.KeyRotated k) {
                    return k.by();
                }
                if (r instanceof TrustEvents.KeyRevoked k) {
                    return k.by();
                }
            }
            if (EventTypes.ROLLOUT_CREATED.equals(event.type()) || EventTypes.ROLLOUT_CHANGED.equals(event.type())) {
                Record r = RolloutEvents.decode(event.type(), event.payload());
                if (r instanceof RolloutEvents.Created c) {
                    return c.by();
                }
                if (r instanceof RolloutEvents.Changed c) {
                    return c.by();
                }
            }
        } catch (CborException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** The state a rollout step moved its rollout to, for {@code rollout.changed}; else {@code null}. */
    static String rolloutState(LedgerEvent event) {
        if (!EventTypes.ROLLOUT_CHANGED.equals(event.type())) {
            return null;
        }
        try {
            return RolloutEvents.decode(event.type(), event.payload()) instanceof RolloutEvents.Changed c
                    ? RolloutEvents.stateName(c.state()) : null;
        } catch (CborException | RuntimeException e) {
            return null;
        }
    }

    static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
