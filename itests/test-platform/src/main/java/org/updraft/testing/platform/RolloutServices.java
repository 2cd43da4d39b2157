package org.updraft.testing.platform;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.ReleaseAnchors;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.UpdateService;
import org.updraft.api.update.listener.UpdateListener;
import org.updraft.rollout.internal.PlatformRolloutService;
import org.updraft.rollout.internal.PlatformUpdateService;
import org.updraft.rollout.internal.RolloutEngineComponent;
import org.updraft.testing.Configs;

/**
 * The rollout bundle's components as Declarative Services wires them: one engine under the rollout and the update
 * service. {@link #bindAnchors}/{@link #unbindAnchors} bind the optional release-anchor source as SCR would.
 */
public final class RolloutServices implements AutoCloseable {

    private final RolloutEngineComponent engine;
    private final PlatformUpdateService updates;
    private final PlatformRolloutService rollouts;
    /** Rollout ids the engine told its listeners have new answers, in order. */
    private final List<String> answersChanged = new CopyOnWriteArrayList<>();

    RolloutServices(Ledger ledger, TrustStore trust, ReleaseService releases, DeviceRegistry registry, Clock clock,
            Map<String, ?> rolloutConfig, Map<String, ?> updateConfig) {
        engine = new RolloutEngineComponent(Configs.of(RolloutEngineComponent.Config.class, rolloutConfig), ledger,
                registry, clock);
        updates = new PlatformUpdateService(Configs.of(PlatformUpdateService.Config.class, updateConfig), engine,
                releases, trust);
        rollouts = new PlatformRolloutService(engine, releases, trust);
        engine.addListener(answersChanged::add);
    }

    public UpdateService updates() {
        return updates;
    }

    public RolloutService rollouts() {
        return rollouts;
    }

    public RolloutEngineComponent engine() {
        return engine;
    }

    /** Rollout ids whose answers changed, as the engine told its listeners, oldest first. */
    public List<String> answersChanged() {
        return answersChanged;
    }

    /** Binds an update listener as SCR binds a transport's whiteboard listener. */
    public void addListener(UpdateListener listener) {
        engine.addListener(listener);
    }

    /** Binds a release-anchor source; a new one replaces the old, as the greedy reference does. */
    public void bindAnchors(ReleaseAnchors anchors) {
        updates.bindAnchors(anchors);
    }

    public void unbindAnchors(ReleaseAnchors anchors) {
        updates.unbindAnchors(anchors);
    }

    @Override
    public void close() {
        updates.deactivate();
        engine.close();
    }
}
