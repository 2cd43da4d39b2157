package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;

@Command(scope = "updraft", name = "device-show", description = "Shows a device: key, class, labels, what it runs "
        + "and its latest update state")
@Service
public class DeviceShowCommand extends UpdraftCommand {

    @Argument(index = 0, name = "id", description = "The device id", required = true)
    String id;


    @Override
    protected Object run() throws Exception {
        DeviceRegistry devices = selected(DeviceRegistry.class, DeviceRegistry.SELECTED, "device registry", "updraft-registry-jdbc");
        print(devices.find(id).orElseThrow(() -> new IllegalArgumentException("no device " + id + " is registered")));
        return null;
    }

    static void print(Device d) {
        row("id", d.id());
        row("key", d.publicKey());
        row("class", d.vendor() + "/" + d.deviceClass() + (d.profile() == null ? "" : " (profile " + d.profile() + ")"));
        row("region", d.region() == null ? "" : d.region());
        row("tags", String.join(", ", d.tags()));
        row("runs", d.installedVersion() + " (sequence " + d.installedSequence() + ")");
        row("state", d.state().wireName());
        row("last seen", d.lastSeen() == null ? "never" : Format.time(d.lastSeen()));
        row("registered", Format.time(d.registered()));
    }

    private static void row(String name, String value) {
        System.out.println(String.format("  %-11s %s", name, value));
    }
}
