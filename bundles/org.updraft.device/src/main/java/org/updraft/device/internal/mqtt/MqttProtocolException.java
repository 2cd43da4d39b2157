package org.updraft.device.internal.mqtt;

import java.io.IOException;

/**
 * A packet that breaks MQTT 5.0: malformed (0x81), against the protocol (0x82) or over the Maximum Packet Size
 * (0x95). The reason code is the one a DISCONNECT sends before the connection is closed (MQTT 5.0, 4.13).
 */
public final class MqttProtocolException extends IOException {

    private static final long serialVersionUID = 1L;

    public static final int MALFORMED = 0x81;
    public static final int PROTOCOL_ERROR = 0x82;
    public static final int PACKET_TOO_LARGE = 0x95;

    private final int reasonCode;

    public MqttProtocolException(int reasonCode, String message) {
        super(message);
        this.reasonCode = reasonCode;
    }

    static MqttProtocolException malformed(String message) {
        return new MqttProtocolException(MALFORMED, "malformed packet: " + message);
    }

    static MqttProtocolException protocolError(String message) {
        return new MqttProtocolException(PROTOCOL_ERROR, "protocol error: " + message);
    }

    /** The DISCONNECT reason code for it. */
    public int reasonCode() {
        return reasonCode;
    }
}
