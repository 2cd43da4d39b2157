package org.updraft.platform.internal;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.work.Workers;

/**
 * The one place that decides which firmware store serves: a {@link FirmwareStore} registered with
 * {@code store.role=serving} over the backends ({@code store.kind=local}, {@code ipfs}, …), which the release
 * service and the CoAP transport use by default.
 *
 * <p>Writes (put, pin, unpin) go to the preferred backend only: when it is not running they fail with a line
 * naming the feature to install, never landing somewhere the operator did not choose. Reads try the preferred
 * backend, then the fallback for objects it holds — so a rollout goes on while the store is swapped, and
 * objects published before the swap stay servable. A read neither can answer because a backend is down fails
 * as unavailable (devices get 5.03 and retry), not as "not found" (devices would give up).
 *
 * <p>Swapping backends or editing this configuration changes nothing for the consumers: this service stays
 * registered, only what it delegates to changes.
 */
@Component(service = FirmwareStore.class, configurationPid = ServingStore.PID, immediate = true,
        // highest ranking: a lookup of the type without a filter (Karaf's shell injection) gets the serving store
        property = { ServingStore.ROLE + "=" + ServingStore.SERVING, "service.ranking:Integer=2147483647" })
@Designate(ocd = ServingStore.Config.class)
public final class ServingStore implements FirmwareStore {

    /** Configuration PID: etc/org.updraft.store.cfg. */
    public static final String PID = "org.updraft.store";

    /** Service property telling the serving store from the backends. */
    public static final String ROLE = FirmwareStore.ROLE;

    /** {@value #ROLE} of this service; consumers choose it with {@code (store.role=serving)}. */
    public static final String SERVING = "serving";

    @ObjectClassDefinition(name = "Updraft serving store",
            description = "Which firmware store backend the platform publishes to and serves from.")
    public @interface Config {
        @AttributeDefinition(name = "Preferred store",
                description = "store.kind of the backend that receives every new release and serves first, "
                        + "e.g. local or ipfs (feature updraft-storage-ipfs).")
        String preferred() default "local";

        @AttributeDefinition(name = "Fallback store", required = false,
                description = "store.kind of the backend that serves the objects it holds while the preferred one "
                        + "is missing, down or lacks them (e.g. releases published before a swap). Empty: none.")
        String fallback() default "local";
    }

    private static final Logger LOG = LoggerFactory.getLogger(ServingStore.class);
    private static final Pattern KIND_SYNTAX = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    /** How long a "the preferred store lacks this object" answer is trusted before asking again. */
    private static final long LACKS_NANOS = 30_000_000_000L;
    /** How long deactivation waits for a running check (it stops at its next release) before interrupting it. */
    private static final Duration CHECK_STOP_GRACE = Duration.ofSeconds(2);

    /** A running backend and its service properties. */
    private record Backend(FirmwareStore store, String kind, int ranking, long serviceId) {
    }

    /** What serves now: the backends for the configured kinds, each null when not running. */
    private record Choice(String preferredKind, FirmwareStore preferred, String fallbackKind, FirmwareStore fallback) {

        String describe() {
            if (preferred != null) {
                return "firmware store " + preferredKind + " serves and receives new releases"
                        + (fallbackKind == null ? "; no fallback"
                                : fallback == null ? "; fallback " + fallbackKind + " is not running"
                                        : "; " + fallbackKind + " serves the objects only it holds");
            }
            String missing = "preferred store " + preferredKind + " is not running (install feature "
                    + feature(preferredKind) + "): publishing fails";
            return fallback != null ? "firmware store " + fallbackKind + " (fallback) serves the objects it holds; "
                    + missing : "no firmware store serves: " + missing
                    + (fallbackKind == null ? " and no fallback is set" : " and fallback " + fallbackKind
                            + " is not running");
        }
    }

    private final List<Backend> backends = new CopyOnWriteArrayList<>();
    /** CID → when the preferred store last said it lacks it; cleared whenever the choice changes. */
    private final Map<Cid, Long> preferredLacks = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    /** The unservable-release check: one thread, only the newest check waits; stopped at deactivation. */
    private final ExecutorService checks = Workers.latest("updraft-serving-check");
    private volatile String preferredKind;
    private volatile String fallbackKind;
    private volatile Choice choice;
    private volatile boolean active;
    /** Whether any backend served since activation: until then, "no store" means "still starting". */
    private volatile boolean everServed;
    private volatile Bundle framework;

    /**
     * Where the release service is looked up when a change of backends is checked: not a reference, because the
     * release service references the firmware store, so SCR would activate this component while activating it.
     */
    volatile ReleaseLookup releases = use -> { };

    /** Lends the release service, if one runs, for one use. */
    @FunctionalInterface
    interface ReleaseLookup {
        void with(Consumer<ReleaseService> use);
    }

    // an activate method, not the constructor: DS binds the backends between the two, so the first line logged
    // already names the store that serves
    @Activate
    void activate(Config config, BundleContext context) {
        framework = context == null ? null : context.getBundle(0); // null outside a framework (unit tests)
        if (context != null) {
            releases = use -> lend(context, use);
        }
        configure(config);
        active = true;
        rechoose();
    }

    @Modified
    void modified(Config config) {
        configure(config);
        rechoose();
    }

    @Deactivate
    void deactivate() {
        active = false;
        generation.incrementAndGet();
        Workers.stop(checks, CHECK_STOP_GRACE);
    }

    @Reference(name = "backends", service = FirmwareStore.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(!(" + ROLE + "=*))")
    void bindBackend(FirmwareStore store, Map<String, Object> properties) {
        backends.add(new Backend(store, String.valueOf(properties.get(FirmwareStore.KIND)), ranking(properties),
                ((Number) properties.get("service.id")).longValue()));
        rechoose();
    }

    void unbindBackend(FirmwareStore store, Map<String, Object> properties) {
        backends.removeIf(b -> b.store() == store);
        rechoose();
    }

    private void configure(Config config) {
        String preferred = kind(config.preferred(), "preferred");
        if (preferred == null) {
            throw new IllegalArgumentException("preferred in " + PID + " is empty: name a store.kind such as local "
                    + "or ipfs");
        }
        String fallback = kind(config.fallback(), "fallback");
        this.preferredKind = preferred;
        this.fallbackKind = preferred.equals(fallback) ? null : fallback;
    }

    private static String kind(String value, String key) {
        String v = value == null ? "" : value.strip();
        if (v.isEmpty()) {
            return null;
        }
        if (!KIND_SYNTAX.matcher(v).matches()) {
            throw new IllegalArgumentException(key + " in " + PID + " is '" + v + "', not a store.kind such as local "
                    + "or ipfs");
        }
        return v;
    }

    private static int ranking(Map<String, Object> properties) {
        return properties.get("service.ranking") instanceof Integer i ? i : 0;
    }

    /** The running backend of a kind: highest ranking, then oldest, as OSGi picks a service. */
    private FirmwareStore backend(String kind) {
        if (kind == null) {
            return null;
        }
        return backends.stream().filter(b -> b.kind().equals(kind))
                .min(Comparator.comparingInt(Backend::ranking).reversed().thenComparingLong(Backend::serviceId))
                .map(Backend::store).orElse(null);
    }

    /** Works out which backends serve and, when that changed, says so once. */
    private synchronized void rechoose() {
        if (preferredKind == null) {
            return; // a backend bound before the constructor ran
        }
        Choice next = new Choice(preferredKind, backend(preferredKind), fallbackKind, backend(fallbackKind));
        Choice previous = choice;
        if (previous != null && previous.equals(next)) {
            return;
        }
        choice = next;
        preferredLacks.clear();
        if (!active || framework != null && framework.getState() == Bundle.STOPPING) {
            return; // backends going away because Karaf shuts down is no news
        }
        String line = next.describe();
        boolean serves = next.preferred() != null || next.fallback() != null;
        if (next.preferred() != null) {
            LOG.info("Serving: {}", line);
        } else if (everServed) {
            LOG.warn("Serving: {}", line);
        } else {
            LOG.info("Serving: {} (waiting for it to start)", line);
        }
        everServed |= serves;
        if (!everServed) {
            return;
        }
        long mine = generation.incrementAndGet();
        // checking every release may take a while (a remote node looks for what it lacks): not on SCR's thread;
        // a newer check supersedes a waiting one
        try {
            checks.execute(() -> reportUnservable(mine));
        } catch (RejectedExecutionException stopped) {
            // deactivated meanwhile: nobody is served by this instance any more
        }
    }

    private void reportUnservable(long mine) {
        if (generation.get() == mine) {
            releases.with(service -> reportUnservable(mine, service));
        }
    }

    private static void lend(BundleContext bundle, Consumer<ReleaseService> use) {
        ServiceReference<ReleaseService> ref;
        ReleaseService service;
        try {
            ref = bundle.getServiceReference(ReleaseService.class);
            service = ref == null ? null : bundle.getService(ref);
        } catch (IllegalStateException e) {
            return; // the bundle stopped meanwhile
        }
        if (service == null) {
            return;
        }
        try {
            use.accept(service);
        } finally {
            try {
                bundle.ungetService(ref);
            } catch (IllegalStateException e) {
                // the bundle stopped meanwhile
            }
        }
    }

    private void reportUnservable(long mine, ReleaseService service) {
        List<String> lost = new ArrayList<>();
        try {
            for (Release release : service.list()) {
                if (generation.get() != mine) {
                    return; // the choice changed again; the newer check reports
                }
                if (!servable(release.cid())) {
                    lost.add(release.id() + " (" + release.cid() + ")");
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not check which releases can be served: {}", e.getMessage());
            return;
        }
        if (!lost.isEmpty() && generation.get() == mine) {
            LOG.warn("{} release(s) cannot be served by the running stores (devices get 5.03 until a store holding "
                    + "them runs): {}", lost.size(), String.join(", ", lost));
        }
    }

    /** Whether a read of the object would be answered now, by the preferred store or the fallback. */
    public boolean servable(Cid cid) {
        try {
            return stat(cid).isPresent();
        } catch (StoreException e) {
            return false;
        }
    }

    /** The store.kind of the backend that receives new releases. */
    public String preferredKind() {
        return preferredKind;
    }

    // ---------------------------------------------------------------- writes: the preferred store only

    @Override
    public StoredObject put(InputStream content, CidOptions options) throws StoreException {
        StoredObject stored = writable().put(content, options);
        preferredLacks.remove(stored.cid());
        return stored;
    }

    @Override
    public StoredObject put(InputStream content) throws StoreException {
        StoredObject stored = writable().put(content);
        preferredLacks.remove(stored.cid());
        return stored;
    }

    @Override
    public void pin(Cid cid) throws StoreException {
        writable().pin(cid);
        preferredLacks.remove(cid);
    }

    @Override
    public void unpin(Cid cid) throws StoreException {
        writable().unpin(cid);
    }

    @Override
    public List<ObjectStat> list() throws StoreException {
        return writable().list();
    }

    private FirmwareStore writable() throws StoreException {
        Choice c = choice;
        if (c.preferred() == null) {
            throw new StoreException("the preferred firmware store '" + c.preferredKind() + "' is not running: "
                    + "install feature " + feature(c.preferredKind()) + " or set preferred in " + PID);
        }
        return c.preferred();
    }

    // ---------------------------------------------------------------- reads: preferred, then fallback

    @Override
    public InputStream get(Cid cid, long offset, long length) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        Choice c = choice;
        StoreException preferredFailure = null;
        if (c.preferred() != null && !lacks(cid)) {
            try {
                return c.preferred().get(cid, offset, length);
            } catch (ObjectNotFoundException e) {
                preferredLacks.put(cid, System.nanoTime());
            } catch (StoreException e) {
                preferredFailure = e;
            }
        }
        if (c.fallback() != null) {
            try {
                return c.fallback().get(cid, offset, length);
            } catch (ObjectNotFoundException e) {
                // neither holds it: decided below
            } catch (StoreException e) {
                throw unavailable(c, cid, preferredFailure, e);
            }
        }
        if (c.preferred() != null && preferredFailure == null) {
            throw new ObjectNotFoundException(cid);
        }
        throw unavailable(c, cid, preferredFailure, null);
    }

    @Override
    public Optional<ObjectStat> stat(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        Choice c = choice;
        StoreException preferredFailure = null;
        if (c.preferred() != null && !lacks(cid)) {
            try {
                Optional<ObjectStat> found = c.preferred().stat(cid);
                if (found.isPresent()) {
                    return found;
                }
                preferredLacks.put(cid, System.nanoTime());
            } catch (StoreException e) {
                preferredFailure = e;
            }
        }
        if (c.fallback() != null) {
            try {
                Optional<ObjectStat> found = c.fallback().stat(cid);
                if (found.isPresent()) {
                    return found;
                }
            } catch (StoreException e) {
                throw unavailable(c, cid, preferredFailure, e);
            }
        }
        if (c.preferred() != null && preferredFailure == null) {
            return Optional.empty();
        }
        throw unavailable(c, cid, preferredFailure, null);
    }

    private boolean lacks(Cid cid) {
        Long since = preferredLacks.get(cid);
        if (since == null) {
            return false;
        }
        if (System.nanoTime() - since > LACKS_NANOS) {
            preferredLacks.remove(cid, since);
            return false;
        }
        return true;
    }

    private static StoreException unavailable(Choice c, Cid cid, StoreException preferredFailure,
            StoreException fallbackFailure) {
        String why = c.preferred() == null ? "the preferred store " + c.preferredKind() + " is not running"
                : preferredFailure == null ? "the preferred store " + c.preferredKind() + " does not hold it"
                        : "the preferred store " + c.preferredKind() + " is unavailable (" + preferredFailure.getMessage()
                                + ")";
        String fallback = c.fallbackKind() == null ? "there is no fallback"
                : c.fallback() == null ? "the fallback " + c.fallbackKind() + " is not running"
                        : fallbackFailure != null ? "the fallback " + c.fallbackKind() + " is unavailable ("
                                + fallbackFailure.getMessage() + ")"
                                : "the fallback " + c.fallbackKind() + " does not hold it";
        return new StoreException(cid + " cannot be served now: " + why + " and " + fallback,
                preferredFailure != null ? preferredFailure : fallbackFailure);
    }

    @Override
    public StoreStatus status() {
        Choice c = choice;
        if (c.preferred() == null) {
            // the kind is the one chosen, not the fallback that stands in: it is what the operator has to fix
            String fallback = c.fallback() == null ? "" : " (" + c.fallback().status().detail() + ")";
            return new StoreStatus(c.preferredKind(), false, c.describe() + fallback, -1, -1);
        }
        StoreStatus s = c.preferred().status();
        return new StoreStatus(s.kind(), s.available(), c.describe() + " (" + s.detail() + ")", s.objects(),
                s.bytes());
    }

    /** The Karaf feature that provides a store kind: updraft-storage-local, updraft-storage-ipfs, … */
    public static String feature(String kind) {
        return "updraft-storage-" + kind;
    }
}
