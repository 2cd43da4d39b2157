package org.updraft.transport.lorawan.internal.radio;

/**
 * One LoRa data rate of a region: its index (the DR a LoRaWAN command names), spreading factor, bandwidth and the
 * largest FRMPayload a frame may carry at it (no FOpts), which bounds a TS004 fragment to that less the
 * DataFragment's 3 header bytes.
 */
public record DataRate(int index, int spreadingFactor, int bandwidthHz, int maxFrmPayload) {

    /** CID 0x08 and the 2-byte IndexAndN before a fragment's data. */
    public static final int DATA_FRAGMENT_HEADER = 3;

    public DataRate {
        if (index < 0 || index > 15) {
            throw new IllegalArgumentException("a data rate index is 0 to 15, not " + index);
        }
        if (maxFrmPayload < 1 || maxFrmPayload > 242) {
            throw new IllegalArgumentException("the largest FRMPayload must be 1 to 242 bytes, not " + maxFrmPayload);
        }
        // validated by the formula's own checks
        Airtime.symbolMicros(spreadingFactor, bandwidthHz);
    }

    /** The largest TS004 fragment a frame at this data rate carries. */
    public int maxFragmentSize() {
        return maxFrmPayload - DATA_FRAGMENT_HEADER;
    }

    /** The time on air of a frame with {@code frmPayload} application bytes at this data rate. */
    public long airtimeMicros(int frmPayload) {
        return Airtime.ofFrmPayload(this, frmPayload);
    }

    @Override
    public String toString() {
        return "DR" + index + " (SF" + spreadingFactor + "/" + bandwidthHz / 1000 + " kHz)";
    }
}
