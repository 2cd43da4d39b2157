package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;

@Command(scope = "updraft", name = "release-list", description = "Lists published releases, oldest first")
@Service
public class ReleaseListCommand extends UpdraftCommand {

    @Option(name = "--vendor", description = "Only this vendor's releases")
    String vendor;

    @Option(name = "--class", description = "Only releases for this device class")
    String deviceClass;

    @Reference(optional = true)
    ReleaseService releases;

    @Override
    protected Object run() throws Exception {
        ShellTable table = new ShellTable();
        table.column("Release");
        table.column("Version");
        table.column("Size").alignRight();
        table.column("CID");
        table.column("Published");
        table.column("Ledger").alignRight();
        for (Release r : Services.require(releases, "release service", "updraft").list()) {
            if ((vendor == null || vendor.equals(r.vendor())) && (deviceClass == null || deviceClass.equals(r.deviceClass()))) {
                table.addRow().addContent(r.id(), r.version(), Format.bytes(r.size()), r.cid().toString(),
                        Format.time(r.published()), "#" + r.ledgerIndex());
            }
        }
        table.print(System.out);
        return null;
    }
}
