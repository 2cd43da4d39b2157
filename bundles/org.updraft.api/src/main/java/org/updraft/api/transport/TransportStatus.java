package org.updraft.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A device transport's state for an operator, registered as a service by the transport while it runs. Both methods
 * return at once (no network calls) and never throw; they never include a secret (passwords, keys).
 */
@ConsumerType
public interface TransportStatus {

    /** Short name of the transport, e.g. {@code coap} or {@code mqtt}. */
    String kind();

    /**
     * One line: where the transport is reachable or what it is a client of, and whether it works now; when it does
     * not (a broker outage, say), what it is doing about it and the last error. E.g. {@code connected to
     * tcp://broker:1883 as updraft-platform-1a2b3c4d} or {@code disconnected from tcp://broker:1883 (Connection
     * lost); reconnecting}.
     */
    String status();
}
