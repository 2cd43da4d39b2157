package org.updraft.transport.coap.internal;

import java.net.InetSocketAddress;

import org.eclipse.californium.elements.RawDataChannel;
import org.eclipse.californium.elements.UDPConnector;
import org.eclipse.californium.elements.config.Configuration;

/**
 * Californium's UDP connector, handing the endpoint only the datagrams {@link Overload} admits. The endpoint queues
 * each datagram it is handed for its protocol threads; this is the last point before that queue, on the socket's
 * one receiver thread, so a datagram dropped here costs the queue nothing and is never parsed.
 */
final class BoundedUdpConnector extends UDPConnector {

    private final Overload overload;

    BoundedUdpConnector(InetSocketAddress bind, Configuration configuration, Overload overload) {
        super(bind, configuration);
        this.overload = overload;
    }

    @Override
    public void setRawDataReceiver(RawDataChannel endpoint) {
        super.setRawDataReceiver(endpoint == null ? null : raw -> {
            if (overload.admit()) {
                endpoint.receiveData(raw);
            }
        });
    }
}
