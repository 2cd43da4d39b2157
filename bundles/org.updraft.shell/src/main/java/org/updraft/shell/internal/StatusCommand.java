package org.updraft.shell.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.updraft.api.backend.BackendChoice;
import org.updraft.api.backend.BackendChoices;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.Lease;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerNode;
import org.updraft.api.ledger.LedgerNodes;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;
import org.updraft.api.update.UpdateService;

/**
 * The platform at a glance: for each capability (store, ledger, trust, registry) the backend chosen and whether it
 * runs, as the platform's {@link BackendChoices} says, and what the running ones hold; then each device transport
 * registered as a {@link TransportStatus}. Every line is read on its
 * own: a backend that is down is one line saying so, never the end of the report.
 */
@Command(scope = "updraft", name = "status", description = "Shows the backend chosen for each capability (store, "
        + "ledger, trust, registry) and whether it runs, what the running ones hold (ledger size and log key, trust "
        + "keys, store health, devices), the device transports that report their state (MQTT: broker, connected or "
        + "reconnecting with the last error), releases and rollouts; fails naming what does not run")
@Service
public class StatusCommand extends UpdraftCommand {

    /** The services besides the backends that the platform needs to publish releases and serve devices. */
    private static final List<Class<?>> SERVICES = List.of(ReleaseService.class, RolloutService.class,
            UpdateService.class);

    @Option(name = "--wait", description = "Wait up to this many seconds for every backend to be running (for "
            + "scripts that run right after start-up)")
    int waitSeconds;


    @Override
    protected Object run() throws Exception {
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (!missing().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        List<String> missing = missing();

        BackendChoices choices = service(BackendChoices.class, null);
        if (choices == null) {
            row("backends", "unknown: the platform's backend switch is not running (feature updraft-core)");
        } else {
            for (BackendChoice c : choices.choices()) {
                // the detail says how to fix a backend that is not running; of a running one, only the store's
                // says more than "it runs" (which store serves what)
                boolean tell = !c.running() || "store".equals(c.capability());
                row(c.capability(), c.kind() + ": " + (c.running() ? "running" : "NOT RUNNING")
                        + (tell ? " (" + c.detail() + ")" : ""));
                if (c.running()) {
                    switch (c.capability()) {
                        case "store" -> stores();
                        case "ledger" -> ledger();
                        case "trust" -> trust();
                        case "registry" -> registry();
                        default -> {
                        }
                    }
                }
            }
        }
        transports();
        UpdateService updates = service(UpdateService.class, null);
        if (updates != null) {
            // what devices are provisioned with, beside the log key
            row("answers", "signed by statement key " + updates.statementKey());
        }
        ReleaseService releases = service(ReleaseService.class, null);
        if (releases != null) {
            row("releases", releases.list().size() + " published");
        }
        RolloutService rollouts = service(RolloutService.class, null);
        if (rollouts != null) {
            Map<String, Integer> byState = new TreeMap<>();
            for (Rollout r : rollouts.list()) {
                byState.merge(r.state().name().toLowerCase(), 1, Integer::sum);
            }
            row("rollouts", byState.isEmpty() ? "none" : byState.toString());
        }
        if (!missing.isEmpty()) {
            throw refused("not running: " + String.join(", ", missing)
                    + " (feature:list -i shows what is installed; scr:list shows unsatisfied components)");
        }
        return null;
    }

    /** Each store backend on its own line: the serving one may stand in for a chosen one that is down. */
    private void stores() throws InvalidSyntaxException {
        for (ServiceReference<FirmwareStore> ref : bundleContext.getServiceReferences(FirmwareStore.class,
                "(!(" + FirmwareStore.ROLE + "=*))")) {
            FirmwareStore store = bundleContext.getService(ref);
            if (store == null) {
                continue;
            }
            try {
                StoreStatus s = store.status();
                detail(s.kind() + ": " + (s.available() ? "available" : "UNAVAILABLE") + ", "
                        + (s.objects() >= 0 ? s.objects() + " objects, " : "")
                        + (s.bytes() >= 0 ? Format.bytes(s.bytes()) + ", " : "") + s.detail());
            } catch (RuntimeException e) {
                detail(String.valueOf(ref.getProperty(FirmwareStore.KIND)) + ": " + failed(e));
            } finally {
                bundleContext.ungetService(ref);
            }
        }
    }

    /** Each running device transport on its line: an operator sees a broker outage here. */
    private void transports() throws InvalidSyntaxException {
        for (ServiceReference<TransportStatus> ref : bundleContext.getServiceReferences(TransportStatus.class,
                null)) {
            TransportStatus transport = bundleContext.getService(ref);
            if (transport == null) {
                continue;
            }
            try {
                row("transport", transport.kind() + ": " + transport.status());
            } catch (RuntimeException e) {
                row("transport", failed(e));
            } finally {
                bundleContext.ungetService(ref);
            }
        }
    }

    private void ledger() throws InvalidSyntaxException {
        Ledger ledger = service(Ledger.class, Ledger.SELECTED);
        if (ledger == null) {
            return;
        }
        try {
            Checkpoint c = ledger.checkpoint();
            detail(c.treeSize() + " events, origin " + c.origin() + ", log key " + ledger.logKey());
        } catch (Exception e) {
            detail(failed(e));
        }
        LedgerNodes nodes = service(LedgerNodes.class, null);
        if (nodes != null) {
            try {
                // one line per node: which are alive, which stopped, which went silent (killed, or cut off)
                for (LedgerNode n : nodes.nodes()) {
                    detail("node " + n.id() + (n.id().equals(nodes.nodeId()) ? " (this one)" : "") + ": " + n.state()
                            + ", started " + n.started() + ", last heard " + n.lastSeen());
                }
            } catch (Exception e) {
                detail("nodes: " + failed(e));
            }
        }
        Optional<DecisionLeases> decisions = ledger.decisions();
        if (decisions.isPresent()) {
            try {
                leaseLines(decisions.get().leases(), decisions.get().nodeId(), Instant.now())
                        .forEach(StatusCommand::detail);
            } catch (Exception e) {
                detail("leases: " + failed(e));
            }
        }
    }

    /** Free leases named one by one, at most; a ledger keeps the row of every rollout that ever ran. */
    private static final int FREE_LEASES_SHOWN = 5;

    /**
     * One line per lease held: which node holds it, since when, until when, and its fencing token; then one line
     * naming the free ones (their rollout no longer runs, or their holder died and no node claimed them yet).
     *
     * @param now this node's clock: a display; claims go by the database's
     */
    static List<String> leaseLines(List<Lease> leases, String thisNode, Instant now) {
        List<String> lines = new ArrayList<>();
        List<String> free = new ArrayList<>();
        for (Lease l : leases) {
            String holder = l.holder() + (l.holder().equals(thisNode) ? " (this one)" : "");
            if (l.expires().isAfter(now)) {
                lines.add("lease " + l.name() + ": held by " + holder + " since " + l.acquired() + ", until "
                        + l.expires() + ", token " + l.token());
            } else {
                free.add(l.name() + " (last " + holder + ", lapsed " + l.expires() + ")");
            }
        }
        if (leases.isEmpty()) {
            lines.add("leases: none (no rollout has run on several nodes)");
        } else if (!free.isEmpty()) {
            int shown = Math.min(free.size(), FREE_LEASES_SHOWN);
            lines.add("leases free: " + String.join(", ", free.subList(0, shown))
                    + (free.size() > shown ? " and " + (free.size() - shown) + " more" : ""));
        }
        return lines;
    }

    private void trust() throws InvalidSyntaxException {
        TrustStore trust = service(TrustStore.class, TrustStore.SELECTED);
        if (trust == null) {
            return;
        }
        try {
            Map<String, Integer> byStatus = new TreeMap<>();
            for (TrustedKey k : trust.list()) {
                byStatus.merge(k.status().name().toLowerCase(), 1, Integer::sum);
            }
            detail(byStatus.isEmpty() ? "no keys" : "keys " + byStatus);
        } catch (Exception e) {
            detail(failed(e));
        }
    }

    private void registry() throws InvalidSyntaxException {
        DeviceRegistry registry = service(DeviceRegistry.class, DeviceRegistry.SELECTED);
        if (registry != null) {
            detail(registry.status());
        }
    }

    /** What does not run: each chosen backend that is missing, then the platform's own services. */
    private List<String> missing() throws InvalidSyntaxException {
        List<String> missing = new ArrayList<>();
        BackendChoices choices = service(BackendChoices.class, null);
        if (choices == null) {
            missing.add("the backend switch (feature updraft-core)");
        } else {
            for (BackendChoice c : choices.choices()) {
                if (!c.running()) {
                    missing.add(c.capability() + " " + c.kind() + " (feature " + c.feature() + ")");
                }
            }
        }
        for (Class<?> type : SERVICES) {
            if (bundleContext.getServiceReference(type) == null) {
                missing.add(type.getSimpleName());
            }
        }
        return missing;
    }

    private <T> T service(Class<T> type, String filter) throws InvalidSyntaxException {
        ServiceReference<T> ref = bundleContext.getServiceReferences(type, filter).stream().findFirst().orElse(null);
        return ref == null ? null : bundleContext.getService(ref);
    }

    /** A line for a call that failed: the reason, not the end of the report. */
    private static String failed(Exception e) {
        return "unavailable: " + (e.getMessage() != null ? e.getMessage() : e.toString());
    }

    private static void row(String name, String value) {
        System.out.println(String.format("%-9s %s", name, value));
    }

    private static void detail(String value) {
        row("", value);
    }
}
