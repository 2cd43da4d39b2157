package org.updraft.transport.lorawan.internal.session;

import java.time.Instant;

import org.updraft.transport.lorawan.internal.radio.DataRate;

/**
 * One downlink the session sends: to one device ({@code devEui}) or, when {@code devEui} is null, to the multicast
 * group at {@code mcAddr}; on {@code fPort}, starting at {@code start} on {@code frequencyHz} at {@code dataRate},
 * lasting {@code airtimeMicros}. {@code fragmentCounter} is the TS004 fragment it carries, or 0.
 */
public record Transmission(String devEui, long mcAddr, int fPort, byte[] frame, Instant start, long frequencyHz,
        DataRate dataRate, long airtimeMicros, int fragmentCounter) {

    public Transmission {
        frame = frame.clone();
    }

    @Override
    public byte[] frame() {
        return frame.clone();
    }

    public boolean multicast() {
        return devEui == null;
    }

    @Override
    public String toString() {
        return "Transmission[" + (multicast() ? String.format("group %08x", mcAddr) : devEui) + " port " + fPort
                + ", " + frame.length + " bytes at " + start + ", " + airtimeMicros + " µs]";
    }
}
