package org.updraft.device.internal;

import java.io.IOException;
import java.net.DatagramPacket;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;

/**
 * A device's DTLS connector that loses a share of the datagrams it sends and receives, below DTLS, as a lossy radio
 * link does: handshake flights and records alike, so DTLS's own retransmission is exercised with CoAP's. (Losing
 * whole messages above DTLS, as {@link LossyConnector} does for plain CoAP, would tell CoAP a DTLS message left
 * without a DTLS context, and Californium's strict matching would then refuse its answer.)
 */
public final class LossyDtlsConnector extends DTLSConnector {

    private final DatagramLoss loss;
    private final AtomicLong sent = new AtomicLong();

    /**
     * @param lossShare share of datagrams lost in each direction, 0 to 1 (exclusive)
     * @param dropped where the lost datagrams are counted (shared by a fleet's connectors)
     */
    public LossyDtlsConnector(DtlsConnectorConfig config, double lossShare, long seed, AtomicLong dropped) {
        super(config);
        this.loss = new DatagramLoss(lossShare, seed, dropped);
    }

    @Override
    protected void sendNextDatagramOverNetwork(DatagramPacket datagram) throws IOException {
        sent.incrementAndGet();
        if (!loss.lose()) {
            super.sendNextDatagramOverNetwork(datagram);
        }
    }

    @Override
    protected void receiveNextDatagramFromNetwork(DatagramPacket datagram) throws IOException {
        do {
            // a receive shortens the packet to what came: the whole buffer again for the next one
            datagram.setData(datagram.getData());
            super.receiveNextDatagramFromNetwork(datagram);
        } while (loss.lose());
    }

    /** Datagrams this connector sent, lost ones included. */
    public long datagramsSent() {
        return sent.get();
    }
}
