package org.updraft.transport.lorawan.internal.chirpstack;

/**
 * A message on the network server's integration that is not what it should be: a topic of another shape, JSON
 * that is not an uplink event, a device that does not match its topic. The message says which, for a counted
 * WARN; the session goes on without it.
 */
public final class IntegrationException extends Exception {

    private static final long serialVersionUID = 1L;

    public IntegrationException(String message) {
        super(message);
    }
}
