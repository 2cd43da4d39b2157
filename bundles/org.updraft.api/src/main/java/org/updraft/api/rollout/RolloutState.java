package org.updraft.api.rollout;

/** The life of a rollout: draft → running ⇄ paused → completed, or cancelled from any state but completed. */
public enum RolloutState {
    /** Created, not offered to any device yet. */
    DRAFT,
    /** Devices of the current wave (and earlier ones) are offered the release. */
    RUNNING,
    /** Nothing new is offered (devices already downloading may finish); an operator resumes or cancels. */
    PAUSED,
    /** Every wave passed. */
    COMPLETED,
    /** Stopped for good by an operator. */
    CANCELLED;

    public boolean isFinal() {
        return this == COMPLETED || this == CANCELLED;
    }
}
