package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.delta.Delta;
import org.updraft.api.delta.ReleaseDeltas;

@Command(scope = "updraft", name = "delta-list", description = "Lists the recorded delta updates, oldest first: "
        + "base and target release, codec, patch size, the memory applying it needs, and its patch's CID")
@Service
public class DeltaListCommand extends UpdraftCommand {

    @Argument(index = 0, name = "release", description = "Only the deltas to this release (vendor/class/sequence)")
    @Completion(ReleaseIdCompleter.class)
    String release;

    @Reference(optional = true)
    ReleaseDeltas deltas;

    @Override
    protected Object run() throws Exception {
        ReleaseDeltas service = Services.require(deltas, "delta service", "updraft");
        ShellTable table = new ShellTable();
        table.column("From");
        table.column("To");
        table.column("Codec");
        table.column("Patch").alignRight();
        table.column("Memory").alignRight();
        table.column("CID");
        table.column("Ledger").alignRight();
        for (Delta d : release == null ? service.list() : service.to(release)) {
            table.addRow().addContent(d.fromRelease(), d.toRelease(), d.codec(), Format.bytes(d.patchSize()),
                    Format.bytes(d.applyMemory()), d.patch().toString(), "#" + d.ledgerIndex());
        }
        table.print(System.out);
        return null;
    }
}
