package org.updraft.api.update;

/**
 * Told when devices' answers may have changed (a rollout started, paused, resumed, advanced or was cancelled),
 * so that transports can notify observing devices (CoAP Observe) instead of waiting for their next poll.
 * Register as an OSGi service; called on the thread that changed the rollout, so return quickly.
 */
@FunctionalInterface
public interface UpdateListener {

    /**
     * @param rolloutId the rollout that changed
     */
    void answersChanged(String rolloutId);
}
