package org.updraft.device.internal;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.californium.elements.Connector;
import org.eclipse.californium.elements.EndpointContextMatcher;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.RawDataChannel;
import org.eclipse.californium.elements.UdpEndpointContext;

/**
 * A UDP connector that loses a share of the datagrams it sends and receives, as a lossy radio link does. A lost
 * outgoing datagram counts as sent (it left the device and vanished), so CoAP's retransmission takes over.
 */
public final class LossyConnector implements Connector {

    private final Connector udp;
    private final DatagramLoss loss;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    /**
     * @param lossShare share of datagrams lost in each direction, 0 to 1 (exclusive)
     * @param dropped where the lost datagrams are counted (shared by a fleet's connectors)
     */
    public LossyConnector(Connector udp, double lossShare, long seed, AtomicLong dropped) {
        this.loss = new DatagramLoss(lossShare, seed, dropped);
        this.udp = udp;
    }

    @Override
    public void send(RawData msg) {
        sent.incrementAndGet();
        if (loss.lose()) {
            // as the UDP connector does for a datagram it sent: the peer's context, then "sent"
            msg.onContextEstablished(new UdpEndpointContext(msg.getInetSocketAddress()));
            msg.onSent();
            return;
        }
        udp.send(msg);
    }

    @Override
    public void setRawDataReceiver(RawDataChannel receiver) {
        udp.setRawDataReceiver(msg -> {
            received.incrementAndGet();
            if (!loss.lose()) {
                receiver.receiveData(msg);
            }
        });
    }

    public long datagramsSent() {
        return sent.get();
    }

    public long datagramsReceived() {
        return received.get();
    }

    @Override
    public void start() throws IOException {
        udp.start();
    }

    @Override
    public void stop() {
        udp.stop();
    }

    @Override
    public void destroy() {
        udp.destroy();
    }

    @Override
    public void setEndpointContextMatcher(EndpointContextMatcher matcher) {
        udp.setEndpointContextMatcher(matcher);
    }

    @Override
    public InetSocketAddress getAddress() {
        return udp.getAddress();
    }

    @Override
    public String getProtocol() {
        return udp.getProtocol();
    }

    @Override
    public boolean isRunning() {
        return udp.isRunning();
    }

    @Override
    public void processDatagram(DatagramPacket datagram) {
        udp.processDatagram(datagram);
    }

    @Override
    public String toString() {
        return loss + " " + udp;
    }
}
