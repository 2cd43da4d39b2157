package org.updraft.shell.internal;

import java.io.PrintStream;
import java.util.Locale;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.retention.ReleaseRetention;
import org.updraft.api.retention.RetentionReport;
import org.updraft.api.retention.RetentionReport.Action;
import org.updraft.api.retention.RetentionReport.Entry;
import org.updraft.api.retention.RetentionReport.Orphan;

@Command(scope = "updraft", name = "store-retain", description = "Applies the retention policy now: unpins the "
        + "images of releases beyond the newest of each class that no rollout or device needs, and objects no release "
        + "references after their grace period, and shows why each release is kept")
@Service
public class StoreRetainCommand extends UpdraftCommand {

    @Option(name = "--dry-run", description = "Only show what would be unpinned (objects no release references "
            + "start their grace period all the same)")
    boolean dryRun;

    @Reference(optional = true)
    ReleaseRetention retention;

    @Override
    protected Object run() throws Exception {
        if (retention == null) {
            // the component waits for all its backends; the serving store is the one most often missing
            throw refused("release retention is not running: it needs feature updraft-rollout, "
                    + "a ledger, a device registry and a firmware store matching its store.target (default "
                    + "(store.role=serving), etc/org.updraft.retention.cfg)");
        }
        RetentionReport report = retention.run(dryRun);
        print(report, System.out);
        long failed = report.count(Action.FAILED) + report.orphanCount(Action.FAILED);
        if (failed > 0) {
            throw refused("store-retain: " + failed + " images could not be unpinned or pinned; "
                    + "see failed above");
        }
        return null;
    }

    static void print(RetentionReport report, PrintStream out) {
        ShellTable table = new ShellTable();
        table.column("Release");
        table.column("Image");
        table.column("Store");
        table.column("Why");
        for (Entry e : report.releases()) {
            table.addRow().addContent(e.releaseId(), e.cid().toString(), action(e.action()),
                    e.detail() != null ? e.why() + " (" + e.detail() + ")" : e.why());
        }
        table.print(out);
        out.println((report.dryRun() ? "Dry run: " : "") + report.releases().stream().filter(Entry::keep).count()
                + " kept, " + (report.dryRun() ? report.count(Action.WOULD_UNPIN) + " would be unpinned"
                        : report.count(Action.UNPINNED) + " unpinned")
                + ", " + report.count(Action.PINNED_AGAIN) + " pinned again, " + report.count(Action.FAILED)
                + " failed (keeping the newest " + report.keepPerClass() + " per class)");
        if (report.orphans().isEmpty()) {
            return;
        }
        ShellTable orphans = new ShellTable();
        orphans.column("Object no release references");
        orphans.column("Bytes");
        orphans.column("Store");
        orphans.column("Why");
        for (Orphan o : report.orphans()) {
            orphans.addRow().addContent(o.cid().toString(), o.size(), action(o.action()),
                    o.detail() != null ? o.why() + " (" + o.detail() + ")" : o.why());
        }
        orphans.print(out);
        out.println((report.dryRun() ? "Dry run: " : "") + report.orphans().size() + " objects no release references: "
                + (report.dryRun() ? report.orphanCount(Action.WOULD_UNPIN) + " would be unpinned"
                        : report.orphanCount(Action.UNPINNED) + " unpinned")
                + ", " + report.orphanCount(Action.KEPT) + " kept, " + report.orphanCount(Action.FAILED) + " failed");
    }

    private static String action(Action action) {
        return action.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
