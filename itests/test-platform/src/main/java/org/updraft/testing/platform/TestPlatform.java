package org.updraft.testing.platform;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.UpdateService;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/**
 * One platform node on real components, built outside OSGi as Declarative Services would wire it: the local log
 * ({@link FileLedger}) in {@code dir/ledger}, the ledger the components use (the log itself, or a ledger over it:
 * the EVM ledger, a {@link org.updraft.testing.ForwardingLedger} that injects faults), the trust store (replayed
 * from the ledger unless given), the local firmware store in {@code dir/store}, the release service; with a device
 * registry also the rollout engine with the rollout and update services; and the CoAP device API if asked for.
 *
 * <pre>{@code
 * try (TestPlatform p = TestPlatform.builder(dir).rollouts(registry).deviceApi(Map.of()).start()) {
 *     p.trust().register(vendor.did(), "acme", Set.of());
 *     Release r = p.releases().publish(manifest, image, null, null);
 * }
 * }</pre>
 */
public final class TestPlatform implements AutoCloseable {

    private final Path directory;
    private final FileLedger log;
    private final Ledger ledger;
    private final TrustStore trust;
    private final LocalFirmwareStore store;
    private final PlatformReleaseService releases;
    private final RolloutServices rollouts;
    private final DeviceApi deviceApi;
    /** What to close, the last started first. */
    private final Deque<AutoCloseable> started;

    private TestPlatform(Path directory, FileLedger log, Ledger ledger, TrustStore trust, LocalFirmwareStore store,
            PlatformReleaseService releases, RolloutServices rollouts, DeviceApi deviceApi,
            Deque<AutoCloseable> started) {
        this.directory = directory;
        this.log = log;
        this.ledger = ledger;
        this.trust = trust;
        this.store = store;
        this.releases = releases;
        this.rollouts = rollouts;
        this.deviceApi = deviceApi;
        this.started = started;
    }

    /** A platform whose files are all under {@code dir}. */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    public Path directory() {
        return directory;
    }

    /** The local log in {@code dir/ledger}. */
    public FileLedger log() {
        return log;
    }

    /** The ledger the components use: the log, or the ledger built over it. */
    public Ledger ledger() {
        return ledger;
    }

    public TrustStore trust() {
        return trust;
    }

    /** The local firmware store in {@code dir/store}. */
    public LocalFirmwareStore store() {
        return store;
    }

    public ReleaseService releases() {
        return releases;
    }

    /** The rollout engine with the rollout and update services; only with {@link Builder#rollouts}. */
    public RolloutServices rollouts() {
        if (rollouts == null) {
            throw new IllegalStateException("this platform was built without rollouts: call rollouts(registry)");
        }
        return rollouts;
    }

    /** The CoAP device API; only with {@link Builder#deviceApi}. */
    public DeviceApi deviceApi() {
        if (deviceApi == null) {
            throw new IllegalStateException("this platform was built without the device API: call deviceApi(...)");
        }
        return deviceApi;
    }

    /**
     * Starts the rollout engine with the rollout and update services over this platform's ledger, trust and
     * releases, later than the platform (a test that publishes first); the caller closes them.
     */
    public RolloutServices startRollouts(DeviceRegistry registry) {
        return new RolloutServices(ledger, trust, releases, registry, Clock.systemUTC(), Map.of(),
                Map.of("statement.key.file", directory.resolve("statement-key.pem").toString()));
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Makes a component over another, as DS would inject it; may fail as the component's constructor does. */
    @FunctionalInterface
    public interface Wiring<I, O> {
        O over(I input) throws Exception;
    }

    public static final class Builder {

        private final Path dir;
        private Wiring<FileLedger, ? extends Ledger> ledger = log -> log;
        private Consumer<Ledger> stopLedger = l -> { };
        private Wiring<Ledger, ? extends TrustStore> trust = LedgerTrustStore::new;
        private DeviceRegistry registry;
        private Clock clock = Clock.systemUTC();
        private Map<String, ?> rolloutConfig = Map.of();
        private Map<String, ?> updateConfig = Map.of();
        private Map<String, ?> deviceApi;
        private UpdateService updates;
        private ReleaseService served;
        private boolean durable;
        private final List<DeviceProfile> profiles = new ArrayList<>();

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
        }

        /** The ledger the components use, made over the local log (which the platform opens and closes). */
        public Builder ledger(Wiring<FileLedger, ? extends Ledger> over) {
            return ledger(over, l -> { });
        }

        /**
         * The ledger the components use, made over the local log; {@code stop} stops it when the platform closes,
         * before the log is closed.
         */
        @SuppressWarnings("unchecked")
        public <L extends Ledger> Builder ledger(Wiring<FileLedger, L> over, Consumer<? super L> stop) {
            this.ledger = Objects.requireNonNull(over, "over");
            this.stopLedger = l -> stop.accept((L) l);
            return this;
        }

        /**
         * Every append and every stored object on disk before it is acknowledged, as in production (the benchmarks);
         * tests leave it off, which is faster.
         */
        public Builder durable() {
            this.durable = true;
            return this;
        }

        /**
         * A device profile the release service asks when a manifest names its id, as DS binds a profile bundle's
         * service; without one, a release naming a profile is refused as {@code profile-missing}.
         */
        public Builder profile(DeviceProfile profile) {
            profiles.add(Objects.requireNonNull(profile, "profile"));
            return this;
        }

        /** The trust store, made over the ledger; by default the one replayed from the ledger. */
        public Builder trust(Wiring<Ledger, ? extends TrustStore> over) {
            this.trust = Objects.requireNonNull(over, "over");
            return this;
        }

        /** With the rollout engine, the rollout and the update service over this device registry. */
        public Builder rollouts(DeviceRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** The rollout engine's clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The rollout engine's configuration ({@code org.updraft.rollout}), for attributes not at their default. */
        public Builder rolloutConfig(Map<String, ?> values) {
            this.rolloutConfig = Map.copyOf(values);
            return this;
        }

        /** The update service's configuration, for attributes not at their default. */
        public Builder updateConfig(Map<String, ?> values) {
            this.updateConfig = Map.copyOf(values);
            return this;
        }

        /**
         * With the CoAP device API on loopback and a free port, the transport's configuration otherwise at its
         * defaults but for {@code settings}. It serves the rollout bundle's update service unless
         * {@link #serving} names another.
         */
        public Builder deviceApi(Map<String, ?> settings) {
            this.deviceApi = Map.copyOf(settings);
            return this;
        }

        /**
         * The update service and the releases the device API serves instead of the platform's: a test's own, that
         * answers what the real one never would (a tampered offer).
         */
        public Builder serving(UpdateService updates, ReleaseService releases) {
            this.updates = Objects.requireNonNull(updates, "updates");
            this.served = Objects.requireNonNull(releases, "releases");
            return this;
        }

        public TestPlatform start() throws Exception {
            Deque<AutoCloseable> started = new ArrayDeque<>();
            try {
                FileLedger log = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log",
                        durable);
                started.push(log::close);
                Ledger used = ledger.over(log);
                started.push(() -> stopLedger.accept(used));
                TrustStore trustStore = trust.over(used);
                LocalFirmwareStore store = new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                        Map.of("directory", dir.resolve("store").toString(), "fsync", durable)));
                started.push(store::close);
                PlatformReleaseService releases = new PlatformReleaseService(used, trustStore, store);
                for (DeviceProfile profile : profiles) {
                    releases.bindProfile(profile, Map.of(DeviceProfile.ID, profile.id()));
                }
                RolloutServices rollouts = null;
                if (registry != null) {
                    Map<String, Object> update = new HashMap<>(updateConfig);
                    update.putIfAbsent("statement.key.file", dir.resolve("statement-key.pem").toString());
                    rollouts = new RolloutServices(used, trustStore, releases, registry, clock, rolloutConfig,
                            update);
                    started.push(rollouts);
                }
                DeviceApi api = null;
                if (deviceApi != null) {
                    UpdateService answering = updates != null ? updates
                            : rollouts != null ? rollouts.updates() : null;
                    if (answering == null) {
                        throw new IllegalStateException("the device API needs an update service: call rollouts(registry)"
                                + " or serving(updates, releases)");
                    }
                    api = DeviceApi.serve(answering, store, served != null ? served : releases, deviceApi);
                    started.push(api);
                    if (registry != null) {
                        // as Declarative Services binds it: over DTLS, requests are bound to the devices' keys
                        api.transport().bindRegistry(registry);
                    }
                    if (rollouts != null && updates == null) {
                        // as the transport registers its listener once active: observing devices hear of changes
                        rollouts.addListener(api.transport()::answersChanged);
                    }
                }
                return new TestPlatform(dir, log, used, trustStore, store, releases, rollouts, api, started);
            } catch (Exception | Error e) {
                while (!started.isEmpty()) {
                    try {
                        started.pop().close();
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }
    }
}
