package org.updraft.shell.internal;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;
import org.updraft.api.update.UpdateService;

@Command(scope = "updraft", name = "status", description = "Shows which backends run and how they are: ledger, "
        + "trust store, firmware stores, releases, device registry, rollouts")
@Service
public class StatusCommand implements Action {

    /** The services the platform needs before it can publish releases and serve devices. */
    private static final List<Class<?>> ESSENTIAL = List.of(Ledger.class, TrustStore.class, FirmwareStore.class,
            ReleaseService.class, DeviceRegistry.class, RolloutService.class, UpdateService.class);

    @Option(name = "--wait", description = "Wait up to this many seconds for every backend to be running (for "
            + "scripts that run right after start-up)")
    int waitSeconds;

    @Reference
    BundleContext bundleContext;

    @Override
    public Object execute() throws Exception {
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (!missing().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        List<String> missing = missing();

        Ledger ledger = service(Ledger.class);
        if (ledger != null) {
            Checkpoint c = ledger.checkpoint();
            row("ledger", kind(Ledger.class, Ledger.KIND) + ": " + c.treeSize() + " events, origin " + c.origin());
            row("", "log key " + ledger.logKey());
        }
        TrustStore trust = service(TrustStore.class);
        if (trust != null) {
            Map<String, Integer> byStatus = new TreeMap<>();
            for (TrustedKey k : trust.list()) {
                byStatus.merge(k.status().name().toLowerCase(), 1, Integer::sum);
            }
            row("trust", kind(TrustStore.class, TrustStore.KIND) + ": " + (byStatus.isEmpty() ? "no keys" : byStatus));
        }
        for (ServiceReference<FirmwareStore> ref : bundleContext.getServiceReferences(FirmwareStore.class,
                "(!(store.role=*))")) {
            FirmwareStore store = bundleContext.getService(ref);
            if (store != null) {
                try {
                    StoreStatus s = store.status();
                    row("store", s.kind() + ": " + (s.available() ? "available" : "UNAVAILABLE") + ", "
                            + (s.objects() >= 0 ? s.objects() + " objects, " : "")
                            + (s.bytes() >= 0 ? Format.bytes(s.bytes()) + ", " : "") + s.detail());
                } finally {
                    bundleContext.ungetService(ref);
                }
            }
        }
        for (ServiceReference<FirmwareStore> ref : bundleContext.getServiceReferences(FirmwareStore.class,
                StoreStatCommand.ROLE_FILTER)) {
            FirmwareStore serving = bundleContext.getService(ref);
            if (serving != null) {
                try {
                    row("serving", serving.status().detail());
                } finally {
                    bundleContext.ungetService(ref);
                }
            }
        }
        ReleaseService releases = service(ReleaseService.class);
        if (releases != null) {
            row("releases", releases.list().size() + " published");
        }
        DeviceRegistry registry = service(DeviceRegistry.class);
        if (registry != null) {
            row("devices", registry.status());
        }
        RolloutService rollouts = service(RolloutService.class);
        if (rollouts != null) {
            Map<String, Integer> byState = new TreeMap<>();
            for (Rollout r : rollouts.list()) {
                byState.merge(r.state().name().toLowerCase(), 1, Integer::sum);
            }
            row("rollouts", byState.isEmpty() ? "none" : byState.toString());
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("not running: " + String.join(", ", missing)
                    + " (feature:list -i shows what is installed; scr:list shows unsatisfied components)");
        }
        return null;
    }

    private List<String> missing() throws InvalidSyntaxException {
        List<String> missing = new java.util.ArrayList<>();
        for (Class<?> type : ESSENTIAL) {
            if (type == FirmwareStore.class) {
                String preferred = preferredStoreMissing();
                if (preferred != null) {
                    missing.add("FirmwareStore (" + preferred + ")");
                }
            } else if (bundleContext.getServiceReference(type) == null) {
                missing.add(type.getSimpleName());
            }
        }
        return missing;
    }

    /** The store the platform publishes to, when it is not running; null when it runs. */
    private String preferredStoreMissing() throws InvalidSyntaxException {
        Collection<ServiceReference<FirmwareStore>> serving = bundleContext.getServiceReferences(FirmwareStore.class,
                StoreStatCommand.ROLE_FILTER);
        if (serving.isEmpty()) {
            return bundleContext.getServiceReference(FirmwareStore.class) == null ? "none" : null;
        }
        Object preferred = serving.iterator().next().getProperty("preferred");
        return bundleContext.getServiceReferences(FirmwareStore.class, "(store.kind=" + preferred + ")").isEmpty()
                ? "preferred " + preferred + ", feature updraft-storage-" + preferred : null;
    }

    private <T> T service(Class<T> type) {
        ServiceReference<T> ref = bundleContext.getServiceReference(type);
        return ref == null ? null : bundleContext.getService(ref);
    }

    private String kind(Class<?> type, String property) {
        ServiceReference<?> ref = bundleContext.getServiceReference(type);
        Object kind = ref == null ? null : ref.getProperty(property);
        return kind == null ? "?" : kind.toString();
    }

    private static void row(String name, String value) {
        System.out.println(String.format("%-9s %s", name, value));
    }
}
