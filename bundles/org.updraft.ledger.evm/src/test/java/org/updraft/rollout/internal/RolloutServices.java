package org.updraft.rollout.internal;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.ReleaseAnchors;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.UpdateService;

/**
 * The rollout bundle's update and rollout services as DS wires them (default configuration), for tests outside
 * their package; {@link #anchors} binds and unbinds the optional release-anchor source as SCR would.
 */
public final class RolloutServices implements AutoCloseable {

    private final RolloutEngineComponent engine;
    private final PlatformUpdateService updates;
    private final PlatformRolloutService rollouts;
    /** Rollout ids the update service said have new answers, in order. */
    public final List<String> answersChanged = new CopyOnWriteArrayList<>();

    public RolloutServices(Ledger ledger, TrustStore trust, ReleaseService releases, DeviceRegistry registry)
            throws Exception {
        engine = new RolloutEngineComponent(defaults(RolloutEngineComponent.Config.class), ledger, registry);
        updates = new PlatformUpdateService(defaults(PlatformUpdateService.Config.class), engine, releases, trust);
        rollouts = new PlatformRolloutService(engine, releases, trust);
        engine.addListener(answersChanged::add);
    }

    public UpdateService updates() {
        return updates;
    }

    public PlatformRolloutService rollouts() {
        return rollouts;
    }

    /** Binds a release-anchor source (a new one replaces the old, as the greedy reference does), or unbinds. */
    public void anchors(ReleaseAnchors bind, ReleaseAnchors unbind) {
        if (bind != null) {
            updates.bindAnchors(bind);
        }
        if (unbind != null) {
            updates.unbindAnchors(unbind);
        }
    }

    @Override
    public void close() {
        updates.deactivate();
        engine.close();
    }

    /** A typed configuration with each attribute's default, as DS makes it from an empty configuration. */
    private static <A> A defaults(Class<A> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type },
                (proxy, method, args) -> switch (method.getName()) {
                    case "toString" -> type.getSimpleName() + "(defaults)";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> method.getDefaultValue();
                }));
    }
}
