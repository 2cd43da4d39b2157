package org.updraft.shell.internal;

import java.io.PrintStream;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.updraft.api.store.FirmwareStore;
import org.updraft.shell.internal.migration.CidRecipes;
import org.updraft.shell.internal.migration.MigratedObject;
import org.updraft.shell.internal.migration.MigratedObject.Outcome;
import org.updraft.shell.internal.migration.MigrationProgress;
import org.updraft.shell.internal.migration.MigrationReport;
import org.updraft.shell.internal.migration.MigrationStatus;
import org.updraft.shell.internal.migration.StoreMigration;

@Command(scope = "updraft", name = "store-migrate", description = "Copies every pinned object of one firmware store "
        + "to another under the same CID, checking each CID; run it again to finish an interrupted migration")
@Service
public class StoreMigrateCommand extends UpdraftCommand {

    private static final Pattern KIND = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    @Option(name = "--from", description = "store.kind of the source store, e.g. local", required = true)
    String from;

    @Option(name = "--to", description = "store.kind of the target store, e.g. ipfs", required = true)
    String to;

    @Option(name = "--dry-run", description = "Only show what would be copied; read and write nothing")
    boolean dryRun;

    @Option(name = "--quiet", aliases = "-q", description = "No progress line")
    boolean quiet;


    @Override
    protected Object run() throws Exception {
        if (from.equals(to)) {
            throw new IllegalArgumentException("--from and --to are both " + from + "; name two different stores");
        }
        ServiceReference<FirmwareStore> sourceRef = find(from);
        ServiceReference<FirmwareStore> targetRef = find(to);
        FirmwareStore source = bundleContext.getService(sourceRef);
        FirmwareStore target = bundleContext.getService(targetRef);
        try {
            if (source == null || target == null) {
                throw refused("the " + (source == null ? from : to) + " store stopped just now");
            }
            ProgressLine line = quiet || dryRun ? null : new ProgressLine(System.out);
            MigrationReport report;
            try {
                report = new StoreMigration(source, from, target, to).run(dryRun, line);
            } finally {
                if (line != null) {
                    line.finish();
                }
            }
            print(report, System.out);
            if (!report.succeeded()) {
                throw refused("store-migrate " + (dryRun ? "(dry run) " : "") + "did not finish: "
                        + report.summary() + (report.stoppedBecause() != null ? "; stopped: "
                                + report.stoppedBecause() : "")
                        + (dryRun ? "" : "; run it again to retry"));
            }
            return null;
        } finally {
            if (source != null) {
                bundleContext.ungetService(sourceRef);
            }
            if (target != null) {
                bundleContext.ungetService(targetRef);
            }
        }
    }

    /**
     * The running store of that kind. A store registered for a role (the serving store, store.role=serving) is
     * taken only when no backend of that kind runs under its own name.
     */
    private ServiceReference<FirmwareStore> find(String kind) throws InvalidSyntaxException, CommandException {
        if (!KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("'" + kind + "' is not a store kind (letters, digits, '.', '_', '-')");
        }
        String filter = "(" + FirmwareStore.KIND + "=" + kind + ")";
        Collection<ServiceReference<FirmwareStore>> all = bundleContext.getServiceReferences(FirmwareStore.class, filter);
        List<ServiceReference<FirmwareStore>> backends = all.stream()
                .filter(r -> r.getProperty("store.role") == null).toList();
        List<ServiceReference<FirmwareStore>> found = backends.isEmpty() ? List.copyOf(all) : backends;
        if (found.isEmpty()) {
            throw refused("no firmware store with " + filter + " is running: install its feature "
                    + "(updraft-storage-" + kind + ") or check its configuration (updraft:store-stat lists the "
                    + "running ones)");
        }
        if (found.size() > 1) {
            throw refused(found.size() + " firmware stores match " + filter
                    + "; stop all but one of them");
        }
        return found.get(0);
    }

    static void print(MigrationReport report, PrintStream out) {
        for (MigratedObject o : report.objects()) {
            switch (o.outcome()) {
                case FAILED -> out.println("  FAILED   " + o.cid() + ": " + o.reason());
                case WOULD_COPY -> out.println("  copy     " + o.cid() + " (" + Format.bytes(o.size()) + ", "
                        + CidRecipes.describe(o.options()) + ")");
                default -> {
                    // copied, already there, not attempted: counted in the summary
                }
            }
        }
        out.println((report.dryRun() ? "Dry run: " : "") + report.summary() + "; "
                + Format.bytes(report.bytesCopied()) + " copied in " + seconds(report.elapsed().toMillis()));
        if (report.stoppedBecause() != null) {
            out.println("Stopped: " + report.stoppedBecause() + " (" + report.count(Outcome.NOT_ATTEMPTED)
                    + " objects left)");
        }
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** {@code Migrating: objects 3/10, 12.0 MiB of 40.0 MiB, 5.1 MiB/s}, redrawn at most ten times a second. */
    static final class ProgressLine implements MigrationProgress {
        private static final long REDRAW_NANOS = 100_000_000L;
        private final PrintStream out;
        private long lastDraw;
        private boolean drawn;

        ProgressLine(PrintStream out) {
            this.out = out;
        }

        @Override
        public void update(MigrationStatus s) {
            long now = System.nanoTime();
            boolean last = s.objectsDone() == s.objectsTotal() && s.current() == null;
            if (drawn && !last && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            lastDraw = now;
            drawn = true;
            out.print("\r" + text(s) + "   ");
            out.flush();
        }

        static String text(MigrationStatus s) {
            return "Migrating: objects " + s.objectsDone() + "/" + s.objectsTotal() + ", " + Format.bytes(s.bytesRead())
                    + " of " + Format.bytes(s.bytesTotal()) + ", " + Format.bytes((long) s.bytesPerSecond()) + "/s";
        }

        void finish() {
            if (drawn) {
                out.println();
            }
        }
    }
}
