package org.updraft.device.internal.mqtt;

import java.io.IOException;

/** The broker said no in a CONNACK: its reason code (0x80 or more) and its reason string, if it gave one. */
public final class MqttRefusal extends IOException {

    private static final long serialVersionUID = 1L;

    private final int reasonCode;

    public MqttRefusal(int reasonCode, String reasonString) {
        super("reason code " + reasonCode + ", " + ReasonCodes.describe(reasonCode)
                + (reasonString == null ? "" : ": " + reasonString));
        this.reasonCode = reasonCode;
    }

    public int reasonCode() {
        return reasonCode;
    }

    /** A refusal of who the device is (credentials, authorization, ban), not of how busy the broker is. */
    public boolean refusesLogin() {
        return reasonCode == 0x86 || reasonCode == 0x87 || reasonCode == 0x8A || reasonCode == 0x8C;
    }
}
