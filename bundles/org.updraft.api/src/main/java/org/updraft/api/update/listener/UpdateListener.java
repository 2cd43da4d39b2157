package org.updraft.api.update.listener;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when devices' answers may have changed (a rollout started, paused, resumed, advanced or was cancelled),
 * so that transports can notify observing devices (CoAP Observe, a retained MQTT message) instead of waiting for
 * their next poll. Register it as an OSGi service (whiteboard); it is called on the thread that changed the
 * rollout, so return quickly.
 *
 * <p>A transport that also uses the {@code UpdateService} should register its listener itself once it is active
 * (not as a Declarative Services component providing this interface): the update service binds its listeners,
 * and a listener component that needs the update service would make a reference cycle.
 */
@ConsumerType
@FunctionalInterface
public interface UpdateListener {

    /**
     * @param rolloutId the rollout that changed
     */
    void answersChanged(String rolloutId);
}
