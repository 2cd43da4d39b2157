package org.updraft.core.event;

import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateFormatException;

/**
 * Payloads of the device events: the device's own signed bytes, unchanged, so that anyone holding the ledger
 * checks the device's signature without trusting the platform. The event's actor is the device's did:key and
 * the event carries no signature of its own.
 *
 * <pre>
 * device.reported  the signed report (COSE_Sign1, {@link DeviceReports}) exactly as the device sent it
 * device.enrolled  the self-signed enrollment (COSE_Sign1, {@link Enrollments}) exactly as the device sent it
 * </pre>
 */
public final class DeviceEvents {

    private DeviceEvents() {
    }

    /** The payload of {@code device.reported}. */
    public static byte[] reported(SignedReport report) {
        return report.bytes();
    }

    /**
     * Reads a {@code device.reported} payload; the caller checks the signature with the device's key
     * ({@link SignedReport#verify}).
     */
    public static SignedReport decodeReported(byte[] payload) throws UpdateFormatException {
        return DeviceReports.parse(payload);
    }

    /** Reads a {@code device.enrolled} payload and checks its self-signature. */
    public static Enrollment decodeEnrolled(byte[] payload) throws UpdateFormatException {
        return Enrollments.verify(payload);
    }
}
