package org.updraft.api.rollout;

/**
 * Counters of one wave, from the device reports on the ledger. A device is counted once, under its latest
 * state for this rollout.
 *
 * @param index the wave's position
 * @param name the wave's name
 * @param status {@code pending}, {@code active}, {@code passed} (success threshold reached) or {@code halted}
 *        (error threshold exceeded)
 * @param members devices of the target in this wave
 * @param offered devices that were given the release
 * @param downloading devices that reported downloading and have not finished
 * @param downloaded devices downloaded or verified, not yet installed
 * @param installed devices that booted and confirmed the new image
 * @param failed devices that reported a failure
 * @param rolledBack devices that rolled back
 */
public record WaveProgress(int index, String name, String status, int members, int offered, int downloading,
        int downloaded, int installed, int failed, int rolledBack) {
}
