package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;

@Command(scope = "updraft", name = "device-list", description = "Lists registered devices, by id")
@Service
public class DeviceListCommand extends UpdraftCommand {

    @Option(name = "--vendor", description = "Only this vendor's devices")
    String vendor;

    @Option(name = "--class", description = "Only devices of this class")
    String deviceClass;

    @Option(name = "--profile", description = "Only devices of this profile")
    String profile;

    @Option(name = "--region", description = "Only devices in this region")
    String region;

    @Option(name = "--tags", description = "Only devices carrying all of these comma-separated tags")
    String tags;

    @Option(name = "--versions", description = "Only devices running a version in this range, e.g. [1.0.0,2.0.0)")
    String versions;

    @Option(name = "--after", description = "Start after this device id (paging)")
    String after;

    @Option(name = "--limit", description = "At most this many rows (default 50)")
    int limit = 50;


    @Override
    protected Object run() throws Exception {
        DeviceRegistry devices = selected(DeviceRegistry.class, DeviceRegistry.SELECTED, "device registry", "updraft-registry-jdbc");
        DeviceFilter filter = new DeviceFilter(vendor, deviceClass, profile, DeviceAddCommand.splitTags(tags), region,
                versions);
        List<Device> page = devices.list(filter, after, limit);
        ShellTable table = new ShellTable();
        table.column("Device");
        table.column("Class");
        table.column("Region");
        table.column("Runs");
        table.column("State");
        table.column("Last seen");
        for (Device d : page) {
            table.addRow().addContent(d.id(), d.vendor() + "/" + d.deviceClass(), d.region() == null ? "" : d.region(),
                    d.installedVersion() + " #" + d.installedSequence(), d.state().wireName(),
                    d.lastSeen() == null ? "never" : Format.time(d.lastSeen()));
        }
        table.print(System.out);
        long total = devices.count(filter);
        if (total > page.size()) {
            System.out.println(page.size() + " of " + total + " devices shown"
                    + (page.isEmpty() ? "" : "; next page: --after " + page.get(page.size() - 1).id()));
        }
        return null;
    }
}
