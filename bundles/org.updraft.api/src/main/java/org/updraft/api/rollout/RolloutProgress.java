package org.updraft.api.rollout;

import java.util.List;

/**
 * A rollout with the progress of each wave.
 *
 * @param rollout the rollout
 * @param waves one entry per wave, in order
 * @param bytesServed image bytes the transports served for this rollout's release since the platform started
 */
public record RolloutProgress(Rollout rollout, List<WaveProgress> waves, long bytesServed) {

    public RolloutProgress {
        waves = List.copyOf(waves);
    }
}
