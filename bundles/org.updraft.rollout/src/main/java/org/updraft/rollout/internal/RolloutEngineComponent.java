package org.updraft.rollout.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.update.listener.UpdateListener;
import org.updraft.core.work.Workers;

/**
 * The one {@link RolloutEngine} of this node, as a service of this bundle only (registered under this internal
 * class): the rollout service, the update service and retention all use it, so the ledger is replayed once and a
 * change made through one is seen by the others at once. It also owns the bundle's one scheduler, for the
 * background work of its users (anchor lookups, the retention schedule), stopped when it deactivates.
 *
 * <p>It binds the {@link UpdateListener}s (the transports register theirs once active) and tells them about
 * every rollout change, whichever service made it. A change of its configuration applies without a restart.
 */
@Component(service = RolloutEngineComponent.class, configurationPid = RolloutEngineComponent.PID)
@Designate(ocd = RolloutEngineComponent.Config.class)
public final class RolloutEngineComponent implements AutoCloseable {

    /** Configuration PID: etc/org.updraft.rollout.cfg. */
    public static final String PID = "org.updraft.rollout";

    @ObjectClassDefinition(name = "Updraft rollouts",
            description = "Rollouts of releases in waves, recorded on the ledger: the engine behind the rollout "
                    + "service, the update service and release retention.")
    public @interface Config {
        @AttributeDefinition(name = "Wave members refresh (seconds)",
                description = "How long a read of a rollout's target devices from the registry is used before it "
                        + "is read again (devices registered meanwhile join their wave then).")
        long members_refresh_seconds() default 60;

        @AttributeDefinition(name = "Lease review interval (seconds)",
                description = "On a ledger several nodes share (PostgreSQL): how often this node claims or renews the"
                        + " leases of running rollouts and reviews their thresholds, so that a wave decision is taken"
                        + " even when the node that took the deciding report died first. Shorter than the ledger's"
                        + " lease.seconds. No effect on a ledger only this node writes.")
        long lease_review_seconds() default 5;
    }

    private static final Logger LOG = LoggerFactory.getLogger(RolloutEngineComponent.class);

    /** Anchor lookups and retention runs: two, so that a slow chain does not hold a retention run back. */
    private static final int THREADS = 2;

    private final RolloutEngine engine;
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    private final ScheduledExecutorService scheduler;
    private final RolloutLeases leases;

    @Activate
    public RolloutEngineComponent(Config config,
            @Reference(name = "ledger", target = Ledger.SELECTED) Ledger ledger,
            @Reference(name = "registry", target = DeviceRegistry.SELECTED) DeviceRegistry registry) {
        this(config, ledger, registry, Clock.systemUTC());
    }

    /** With the given clock: tests outside a framework move time themselves. */
    public RolloutEngineComponent(Config config, Ledger ledger, DeviceRegistry registry, Clock clock) {
        this.engine = new RolloutEngine(ledger, registry, clock, membersRefresh(config));
        this.scheduler = Workers.scheduler("updraft-rollout", THREADS);
        this.leases = new RolloutLeases(engine);
        long review = Math.max(1, config.lease_review_seconds());
        scheduler.scheduleWithFixedDelay(leases, review, review, TimeUnit.SECONDS);
        // the ledger's backend may start after this component: the engine catches up at the first call then
        try {
            engine.catchUp();
            LOG.info("Rollout engine ready: {} rollouts from {} ledger events", engine.book().rollouts().size(),
                    engine.book().followed());
        } catch (LedgerException e) {
            LOG.info("Rollout engine ready; it reads the ledger once it can: {}", e.getMessage());
        }
    }

    @Modified
    void modified(Config config) {
        engine.membersRefresh(membersRefresh(config));
    }

    @Reference(name = "listener", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addListener(UpdateListener listener) {
        engine.addListener(listener);
    }

    public void removeListener(UpdateListener listener) {
        engine.removeListener(listener);
    }

    @Deactivate
    @Override
    public void close() {
        // a retention run or an anchor lookup in progress is interrupted after a short grace
        Workers.stop(scheduler, STOP_GRACE);
        leases.releaseAll();
    }

    /** One round of the rollout leases now (tests; the scheduler runs them at the configured interval). */
    void reviewLeases() {
        leases.run();
    }

    RolloutEngine engine() {
        return engine;
    }

    /** The bundle's scheduler: bounded, named updraft-rollout-N, stopped with this component. */
    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    private static Duration membersRefresh(Config config) {
        return Duration.ofSeconds(Math.max(1, config.members_refresh_seconds()));
    }
}
