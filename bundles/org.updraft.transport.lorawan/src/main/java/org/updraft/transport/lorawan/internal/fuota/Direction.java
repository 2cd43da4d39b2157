package org.updraft.transport.lorawan.internal.fuota;

/**
 * Which way a frame travels. The application packages reuse each CID for a request and its answer, and some
 * requests travel up (TS003's AppTimeReq, TS004 v2's DataBlockReceivedReq), so a frame is decoded knowing its
 * direction.
 */
public enum Direction {
    /** Device to network server. */
    UPLINK,
    /** Network server to device (unicast or multicast). */
    DOWNLINK;

    String word() {
        return this == UPLINK ? "uplink" : "downlink";
    }
}
