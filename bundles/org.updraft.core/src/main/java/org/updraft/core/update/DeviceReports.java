package org.updraft.core.update;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.api.device.DeviceState;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.cose.CoseException;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.SigningKey;

/**
 * The bytes of a device report: a COSE_Sign1 of content type {@value #CONTENT_TYPE}, signed with the device's
 * key (its did:key as key id), over the deterministic CBOR map
 *
 * <pre>
 * {"device": text, ? "rollout": text, "release": text, "state": text, ? "reason": text,
 *  "version": text, "sequence": uint, "time": uint, "counter": uint}
 * </pre>
 *
 * {@code state} is a {@link DeviceState#wireName()}; {@code time} is in seconds since the epoch.
 */
public final class DeviceReports {

    public static final String CONTENT_TYPE = "application/vnd.updraft.report+cbor";
    /** The most a signed report may take; it must fit one CoAP datagram with room to spare. */
    public static final int MAX_REPORT_BYTES = 1024;

    private static final List<String> FIELDS = List.of("device", "rollout", "release", "state", "reason", "version",
            "sequence", "time", "counter");

    private DeviceReports() {
    }

    public static byte[] encodePayload(DeviceReport r) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("device", r.deviceId());
        if (r.rolloutId() != null) {
            map.put("rollout", r.rolloutId());
        }
        map.put("release", r.releaseId());
        map.put("state", r.state().wireName());
        if (r.reason() != null) {
            map.put("reason", r.reason());
        }
        map.put("version", r.installedVersion());
        map.put("sequence", r.installedSequence());
        map.put("time", r.time().getEpochSecond());
        map.put("counter", r.counter());
        return Cbor.encode(map);
    }

    /** Signs the report with the device's key. */
    public static byte[] sign(DeviceReport report, SigningKey deviceKey) {
        return CoseSign1.sign(encodePayload(report), CONTENT_TYPE, deviceKey);
    }

    /**
     * Parses a signed report without checking its signature ({@link SignedReport#verify} does).
     *
     * @throws UpdateFormatException naming what is malformed
     */
    public static SignedReport parse(byte[] bytes) throws UpdateFormatException {
        if (bytes.length > MAX_REPORT_BYTES) {
            throw new UpdateFormatException("the report has " + bytes.length + " bytes, more than the "
                    + MAX_REPORT_BYTES + " allowed");
        }
        try {
            CoseSign1 envelope = CoseSign1.decode(bytes, CONTENT_TYPE);
            CborMap map = CborMap.decode("report", envelope.payload()).onlyKeys(FIELDS);
            String stateName = map.text("state");
            DeviceState state = DeviceState.ofWireName(stateName).filter(s -> s != DeviceState.IDLE)
                    .orElseThrow(() -> new UpdateFormatException("report: unknown state '" + stateName
                            + "', expected downloading, downloaded, verified, installed, failed, rolled-back or stale"));
            DeviceReport report = new DeviceReport(map.text("device"), map.optionalText("rollout"),
                    map.text("release"), state, map.optionalText("reason"), map.text("version"),
                    map.unsigned("sequence"), Instant.ofEpochSecond(map.unsigned("time")), map.unsigned("counter"));
            return new SignedReport(report, envelope, bytes);
        } catch (CoseException | CborException e) {
            throw new UpdateFormatException(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UpdateFormatException("report: " + e.getMessage());
        }
    }
}
