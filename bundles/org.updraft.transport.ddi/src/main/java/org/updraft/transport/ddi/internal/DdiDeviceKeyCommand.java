package org.updraft.transport.ddi.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.core.update.DeviceIds;

@Command(scope = "updraft", name = "ddi-device-key", description = "The did:key to register a hawkBit DDI device "
        + "with (updraft:device-add --key): the DDI transport signs that device's reports with its key")
@Service
public class DdiDeviceKeyCommand implements Action {

    @Argument(index = 0, name = "id", description = "The device id (the DDI controllerId)", required = true)
    String id;

    @Reference(optional = true)
    DdiTransport ddi;

    @Override
    public Object execute() {
        if (ddi == null) {
            throw new IllegalStateException("the DDI transport is not running: feature:install "
                    + "updraft-transport-ddi");
        }
        if (!DeviceIds.isValid(id)) {
            throw new IllegalArgumentException("'" + id + "' is not a valid device id");
        }
        System.out.println(ddi.deviceKey(id));
        return null;
    }
}
