package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.delta.Delta;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.TrustEvents;

@Command(scope = "updraft", name = "ledger-tail", description = "Shows the latest ledger events")
@Service
public class LedgerTailCommand extends UpdraftCommand {

    @Option(name = "-n", description = "How many events (default 20)")
    int count = 20;

    @Option(name = "--from", description = "Show events from this index on, instead of the last ones")
    long from = -1;


    @Override
    protected Object run() throws Exception {
        Ledger log = selected(Ledger.class, Ledger.SELECTED, "ledger", "updraft-ledger-local");
        if (count < 1) {
            throw new IllegalArgumentException("-n must be at least 1");
        }
        long size = log.size();
        long start = from >= 0 ? from : Math.max(0, size - count);
        List<LedgerEntry> entries = log.read(start, count);
        ShellTable table = new ShellTable();
        table.column("Index").alignRight();
        table.column("Time");
        table.column("Type");
        table.column("Actor");
        table.column("What");
        for (LedgerEntry e : entries) {
            LedgerEvent event = e.event();
            table.addRow().addContent("#" + e.index(), Format.time(event.time()), event.type(),
                    Format.shortDid(event.actor()), summary(event));
        }
        table.print(System.out);
        System.out.println(size + " events in the ledger");
        return null;
    }

    /** One line about an event's payload, decoded with the schema of its type. */
    static String summary(LedgerEvent event) {
        try {
            if (EventTypes.RELEASE_PUBLISHED.equals(event.type())) {
                ReleaseEvents.Published p = ReleaseEvents.decode(event.payload());
                var m = p.manifest().manifest();
                return m.releaseId() + " version " + m.version() + ", " + Format.bytes(m.size()) + by(p.by());
            }
            if (EventTypes.DELTA_PUBLISHED.equals(event.type())) {
                Delta d = DeltaEvents.decodePublished(event.payload(), -1);
                return d.label() + ", " + Format.bytes(d.patchSize());
            }
            if (event.type().startsWith("trust.")) {
                Record r = TrustEvents.decode(event.type(), event.payload());
                if (r instanceof TrustEvents.KeyRegistered k) {
                    return Format.shortDid(k.did()) + " for vendor " + k.vendor()
                            + (k.deviceClasses().isEmpty() ? "" : " classes " + String.join(",", k.deviceClasses()))
                            + by(k.by());
                }
                if (r instanceof TrustEvents.KeyRotated k) {
                    return Format.shortDid(k.did()) + " -> " + Format.shortDid(k.successor())
                            + (event.signature() != null ? " (signed by the old key)" : "") + by(k.by());
                }
                if (r instanceof TrustEvents.KeyRevoked k) {
                    return Format.shortDid(k.did()) + (k.reason().isBlank() ? "" : ": " + k.reason()) + by(k.by());
                }
            }
            return event.payload().length + " bytes";
        } catch (CborException e) {
            return "unreadable payload: " + e.getMessage();
        }
    }

    /** Who made a change, where the event names an operator. */
    private static String by(String operator) {
        return operator == null ? "" : ", by " + operator;
    }
}
