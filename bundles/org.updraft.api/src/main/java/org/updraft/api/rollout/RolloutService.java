package org.updraft.api.rollout;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Creates and steers rollouts. Every change of state is appended to the ledger (with the operator as actor)
 * before it takes effect, and the rollouts are the replay of those events, so every platform node sharing the
 * ledger sees the same.
 */
@ProviderType
public interface RolloutService {

    /** Creates a draft rollout. Checks that the release is published and the waves are sound. */
    Rollout create(RolloutSpec spec, String actor) throws RolloutException;

    /** Starts a draft: its first wave is offered the release. */
    Rollout start(String id, String actor) throws RolloutException;

    /** Pauses a running rollout. */
    Rollout pause(String id, String actor, String reason) throws RolloutException;

    /** Resumes a paused rollout. */
    Rollout resume(String id, String actor) throws RolloutException;

    /** Cancels a rollout that is not completed. */
    Rollout cancel(String id, String actor, String reason) throws RolloutException;

    /**
     * Starts the next wave now, whether or not the current one reached its success threshold (an operator's
     * decision, recorded as such). Advancing past the last wave completes the rollout.
     */
    Rollout advance(String id, String actor) throws RolloutException;

    Optional<Rollout> find(String id);

    /** All rollouts, oldest first. */
    List<Rollout> list();

    /** The rollout with per-wave counters. */
    RolloutProgress progress(String id) throws RolloutException;
}
