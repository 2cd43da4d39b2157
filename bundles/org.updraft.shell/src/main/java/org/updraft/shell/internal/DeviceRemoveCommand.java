package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.device.DeviceRegistry;

@Command(scope = "updraft", name = "device-remove", description = "Removes a device from the registry (its reports "
        + "stay on the ledger)")
@Service
public class DeviceRemoveCommand extends UpdraftCommand {

    @Argument(index = 0, name = "id", description = "The device id", required = true)
    String id;


    @Override
    protected Object run() throws Exception {
        if (!selected(DeviceRegistry.class, DeviceRegistry.SELECTED, "device registry", "updraft-registry-jdbc").remove(id)) {
            throw new IllegalArgumentException("no device " + id + " is registered");
        }
        System.out.println("Removed device " + id);
        return null;
    }
}
