package org.updraft.device;

/** The platform refused the device outright (unknown device, enrollment refused), or the agent was stopped. */
public class DeviceAgentException extends Exception {

    private static final long serialVersionUID = 1L;

    public DeviceAgentException(String message) {
        super(message);
    }
}
