package org.updraft.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.ServiceReference;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;

/**
 * Each store backend's health and totals, which one serves, and the releases no running store can serve now
 * (their devices get 5.03 until a store holding them runs).
 */
@Command(scope = "updraft", name = "store-stat", description = "Shows each firmware store's health and totals, "
        + "which one serves, the releases that cannot be served now, or one stored object")
@Service
public class StoreStatCommand extends UpdraftCommand {

    /** Service property of the serving store (core's choice among the backends) and its value. */
    static final String ROLE_FILTER = FirmwareStore.SERVING;
    private static final String BACKEND_FILTER = "(!(store.role=*))";

    @Argument(index = 0, name = "cid", description = "A stored object's CID")
    @Completion(StoredCidCompleter.class)
    String cid;


    @Override
    protected Object run() throws Exception {
        Cid object = null;
        if (cid != null) {
            try {
                object = Cid.parse(cid);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }
        List<ServiceReference<FirmwareStore>> backends = new ArrayList<>(
                bundleContext.getServiceReferences(FirmwareStore.class, BACKEND_FILTER));
        ServiceReference<FirmwareStore> servingRef = bundleContext.getServiceReferences(FirmwareStore.class,
                ROLE_FILTER).stream().findFirst().orElse(null);
        if (backends.isEmpty() && servingRef == null) {
            Services.require(null, "firmware store", "updraft-storage-local");
        }
        String preferred = servingRef == null ? null : text(servingRef.getProperty("preferred"));
        String fallback = servingRef == null ? null : text(servingRef.getProperty("fallback"));

        for (ServiceReference<FirmwareStore> ref : backends) {
            String kind = text(ref.getProperty(FirmwareStore.KIND));
            FirmwareStore store = bundleContext.getService(ref);
            if (store == null) {
                continue;
            }
            try {
                StoreStatus s = store.status();
                String role = kind.equals(preferred) ? ", preferred: receives new releases and serves first"
                        : kind.equals(fallback) ? ", fallback: serves the objects only it holds" : ", not used";
                System.out.println("Store " + kind + ": " + (s.available() ? "up" : "UNREACHABLE") + role);
                System.out.println(String.format("  %-10s %s", "detail", s.detail()));
                if (s.objects() >= 0) {
                    System.out.println(String.format("  %-10s %d", "objects", s.objects()));
                }
                if (s.bytes() >= 0) {
                    System.out.println(String.format("  %-10s %s", "bytes", Format.bytes(s.bytes())));
                }
                if (object != null) {
                    printObject(store, object);
                }
            } finally {
                bundleContext.ungetService(ref);
            }
        }
        if (preferred != null && backends.stream().noneMatch(r -> preferred.equals(r.getProperty(FirmwareStore.KIND)))) {
            System.out.println("Store " + preferred + ": NOT RUNNING, preferred: install feature updraft-storage-"
                    + preferred + "; publishing fails until it runs");
        }
        if (servingRef == null) {
            System.out.println("Serving: no serving store is running (updraft-core provides it)");
            return null;
        }
        FirmwareStore serving = bundleContext.getService(servingRef);
        if (serving == null) {
            return null;
        }
        try {
            StoreStatus s = serving.status();
            System.out.println("Serving: " + s.detail());
            printUnservable(serving);
        } finally {
            bundleContext.ungetService(servingRef);
        }
        return null;
    }

    /** Releases whose image neither the preferred store nor the fallback can hand out now. */
    private void printUnservable(FirmwareStore serving) {
        ServiceReference<ReleaseService> ref = bundleContext.getServiceReference(ReleaseService.class);
        ReleaseService releases = ref == null ? null : bundleContext.getService(ref);
        if (releases == null) {
            return;
        }
        try {
            List<String> lost = new ArrayList<>();
            List<Release> all = releases.list();
            for (Release release : all) {
                String why;
                try {
                    why = serving.stat(release.cid()).isPresent() ? null : "no running store holds it";
                } catch (StoreException e) {
                    why = e.getMessage();
                }
                if (why != null) {
                    lost.add(String.format("  %s %s: %s", release.id(), release.cid(), why));
                }
            }
            if (lost.isEmpty()) {
                System.out.println("Releases: all " + all.size() + " can be served");
            } else {
                System.out.println("Releases that cannot be served now: " + lost.size() + " of " + all.size());
                lost.forEach(System.out::println);
            }
        } finally {
            bundleContext.ungetService(ref);
        }
    }

    private static void printObject(FirmwareStore store, Cid c) {
        try {
            ObjectStat stat = store.stat(c).orElse(null);
            if (stat == null) {
                System.out.println(String.format("  %-10s not in this store", c));
            } else {
                System.out.println(String.format("  %-10s %s, %d blocks, %s", c, Format.bytes(stat.size()),
                        stat.blocks(), stat.pinned() ? "pinned" : "not pinned"));
            }
        } catch (StoreException e) {
            System.out.println(String.format("  %-10s cannot tell: %s", c, e.getMessage()));
        }
    }

    private static String text(Object property) {
        return property == null ? null : String.valueOf(property).strip();
    }
}
