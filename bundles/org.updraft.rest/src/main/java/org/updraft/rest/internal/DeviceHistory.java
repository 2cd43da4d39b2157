package org.updraft.rest.internal;

import java.util.Map;

import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateFormatException;

/** Which ledger events are about one device, and what they say of it. */
final class DeviceHistory {

    private DeviceHistory() {
    }

    /**
     * The event as a device's history shows it, or {@code null} when it is not about {@code device}. A report is
     * checked against {@code deviceKey} (the registered did:key, or {@code null}: not checked). An event that cannot
     * be decoded is about no device here; {@code updraft:ledger-verify} is where a damaged ledger shows.
     */
    static Map<String, Object> about(LedgerEntry entry, String device, String deviceKey) {
        String type = entry.event().type();
        try {
            switch (type) {
            case EventTypes.ROLLOUT_OFFERED: {
                if (RolloutEvents.decode(type, entry.event().payload()) instanceof RolloutEvents.Offered o
                        && o.device().equals(device)) {
                    Map<String, Object> m = Views.entry(entry);
                    m.put("rollout", o.rollout());
                    m.put("release", o.release());
                    m.put("wave", o.wave());
                    m.put("delta", o.delta());
                    return m;
                }
                return null;
            }
            case EventTypes.DEVICE_REPORTED: {
                SignedReport signed = DeviceEvents.decodeReported(entry.event().payload());
                DeviceReport r = signed.report();
                if (!r.deviceId().equals(device)) {
                    return null;
                }
                Map<String, Object> m = Views.entry(entry);
                m.put("rollout", r.rolloutId());
                m.put("release", r.releaseId());
                m.put("deviceState", r.state().wireName());
                m.put("reason", r.reason());
                m.put("version", r.installedVersion());
                m.put("sequence", r.installedSequence());
                m.put("reported", Views.time(r.time()));
                m.put("verified", verified(signed, deviceKey));
                return m;
            }
            case EventTypes.DEVICE_ENROLLED: {
                Enrollment e = DeviceEvents.decodeEnrolled(entry.event().payload());
                if (!e.deviceId().equals(device)) {
                    return null;
                }
                Map<String, Object> m = Views.entry(entry);
                m.put("key", e.publicKey());
                m.put("class", e.deviceClass());
                m.put("version", e.installedVersion());
                return m;
            }
            default:
                return null;
            }
        } catch (CborException | UpdateFormatException | RuntimeException e) {
            return null;
        }
    }

    private static Boolean verified(SignedReport signed, String deviceKey) {
        if (deviceKey == null) {
            return null;
        }
        try {
            signed.verify(deviceKey);
            return true;
        } catch (UpdateFormatException e) {
            return false;
        }
    }
}
