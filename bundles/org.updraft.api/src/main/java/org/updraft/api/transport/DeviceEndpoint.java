package org.updraft.api.transport;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One address devices reach the platform on, as a transport serves it now.
 *
 * @param scheme the URI scheme devices use, e.g. {@code coaps} (CoAP over DTLS) or {@code coap} (unencrypted)
 * @param address where it listens: the real port when the transport was configured to take a free one; a wildcard
 *        host ({@code 0.0.0.0}) means every interface
 * @param serverKey the did:key devices must pin as the server's key, or null where the transport authenticates no
 *        server (unencrypted CoAP)
 */
public record DeviceEndpoint(String scheme, InetSocketAddress address, String serverKey) {

    public DeviceEndpoint {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(address, "address");
    }

    /** Whether devices authenticate the platform here, and the platform them. */
    public boolean secure() {
        return serverKey != null;
    }
}
