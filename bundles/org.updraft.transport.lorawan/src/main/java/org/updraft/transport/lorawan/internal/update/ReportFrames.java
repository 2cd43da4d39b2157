package org.updraft.transport.lorawan.internal.update;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.updraft.core.update.DeviceReports;

/**
 * A device's signed report as uplinks: a report (up to {@value DeviceReports#MAX_REPORT_BYTES} bytes) is larger than
 * most LoRaWAN frames (51 bytes at EU868's slowest data rates), so the device cuts it into frames, each
 *
 * <pre>
 * report id u8 | index u8 | count u8 | the next bytes of the report
 * </pre>
 *
 * on the report port; the platform puts them back together per device, in any order, and passes a complete report
 * on. The id tells two reports of one device apart (a new report starts over). Frames of a report left incomplete
 * longer than the assembler's patience are dropped, and so is a device's half-built report once another begins.
 */
public final class ReportFrames {

    /** The application port reports go on unless configured otherwise: next to the FUOTA packages' 200-202. */
    public static final int DEFAULT_PORT = 203;
    private static final int HEADER = 3;
    /** Enough frames for the largest report at the smallest frame (51 bytes). */
    public static final int MAX_FRAMES = (DeviceReports.MAX_REPORT_BYTES + 47) / 48;

    private ReportFrames() {
    }

    /**
     * Cuts a signed report into frames of at most {@code frameSize} bytes.
     *
     * @throws IllegalArgumentException for a report larger than a report may be, or frames too small for it
     */
    public static List<byte[]> split(byte[] report, int reportId, int frameSize) {
        if (report.length == 0 || report.length > DeviceReports.MAX_REPORT_BYTES) {
            throw new IllegalArgumentException("a report is 1 to " + DeviceReports.MAX_REPORT_BYTES + " bytes, not "
                    + report.length);
        }
        int chunk = frameSize - HEADER;
        if (chunk < 1) {
            throw new IllegalArgumentException("frames of " + frameSize + " bytes carry no report");
        }
        int count = (report.length + chunk - 1) / chunk;
        if (count > 255) {
            throw new IllegalArgumentException("a report of " + report.length + " bytes needs " + count
                    + " frames of " + frameSize + " bytes, more than 255");
        }
        List<byte[]> frames = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int from = i * chunk;
            int len = Math.min(chunk, report.length - from);
            byte[] frame = new byte[HEADER + len];
            frame[0] = (byte) reportId;
            frame[1] = (byte) i;
            frame[2] = (byte) count;
            System.arraycopy(report, from, frame, HEADER, len);
            frames.add(frame);
        }
        return frames;
    }

    /** Puts devices' report frames back together. Not thread safe: one caller feeds it. */
    public static final class Assembler {

        private final Duration patience;
        private final Map<String, Partial> partial = new HashMap<>();

        private static final class Partial {
            final int id;
            final byte[][] parts;
            final Instant started;
            int received;

            Partial(int id, int count, Instant started) {
                this.id = id;
                this.parts = new byte[count][];
                this.started = started;
            }
        }

        /** @param patience how long a report may take to arrive whole */
        public Assembler(Duration patience) {
            this.patience = patience;
        }

        /**
         * Takes one frame of {@code devEui}'s.
         *
         * @return the report, once its last frame arrived
         * @throws IllegalArgumentException for a frame that is no report frame (too short, an index outside its
         *     count, more frames than a report needs, a count that changes within one report); the device's
         *     half-built report is dropped with it
         */
        public Optional<byte[]> accept(String devEui, byte[] frame, Instant at) {
            partial.values().removeIf(p -> p.started.plus(patience).isBefore(at));
            if (frame.length <= HEADER) {
                partial.remove(devEui);
                throw new IllegalArgumentException("a report frame of " + frame.length + " bytes");
            }
            int id = frame[0] & 0xFF;
            int index = frame[1] & 0xFF;
            int count = frame[2] & 0xFF;
            if (count == 0 || count > MAX_FRAMES || index >= count) {
                partial.remove(devEui);
                throw new IllegalArgumentException("report frame " + index + " of " + count);
            }
            Partial p = partial.get(devEui);
            if (p == null || p.id != id) {
                p = new Partial(id, count, at);
                partial.put(devEui, p);
            } else if (p.parts.length != count) {
                partial.remove(devEui);
                throw new IllegalArgumentException("report " + id + " of " + devEui + " said " + p.parts.length
                        + " frames, now " + count);
            }
            if (p.parts[index] == null) {
                p.received++;
            }
            p.parts[index] = Arrays.copyOfRange(frame, HEADER, frame.length);
            if (p.received < count) {
                return Optional.empty();
            }
            partial.remove(devEui);
            ByteArrayOutputStream whole = new ByteArrayOutputStream();
            for (byte[] part : p.parts) {
                whole.writeBytes(part);
            }
            if (whole.size() > DeviceReports.MAX_REPORT_BYTES) {
                throw new IllegalArgumentException("a report of " + whole.size() + " bytes");
            }
            return Optional.of(whole.toByteArray());
        }
    }
}
