package org.updraft.api.rollout;

import java.util.Objects;

/**
 * One wave of a rollout.
 *
 * @param name a name operators see, e.g. {@code canary}, {@code eu-west}
 * @param selector which devices it takes
 * @param successPercent share of its devices that must report {@code installed} for the wave to pass
 *        (0-100); reached, the rollout advances by itself when {@code autoAdvance}, otherwise waits for an
 *        operator's {@code advance}
 * @param errorPercent share of its devices reporting {@code failed} or {@code rolled-back} above which the whole
 *        rollout pauses (0-100)
 * @param autoAdvance whether the next wave starts as soon as this one passes
 * @param window the daily UTC window in which it offers the release, or {@code null} for any time
 * @param maxConcurrentDownloads how many of its devices may download at once, {@code 0} for no cap; devices
 *        over the cap are told to check again later
 */
public record WaveSpec(String name, WaveSelector selector, double successPercent, double errorPercent,
        boolean autoAdvance, TimeWindow window, int maxConcurrentDownloads) {

    public WaveSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(selector, "selector");
        checkPercent("success threshold", successPercent);
        checkPercent("error threshold", errorPercent);
        if (maxConcurrentDownloads < 0) {
            throw new IllegalArgumentException("wave " + name + ": the download cap must not be negative");
        }
    }

    private static void checkPercent(String what, double value) {
        if (!(value >= 0 && value <= 100)) {
            throw new IllegalArgumentException(what + " must be between 0 and 100 percent: " + value);
        }
    }
}
