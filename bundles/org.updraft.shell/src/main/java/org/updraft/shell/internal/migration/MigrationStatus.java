package org.updraft.shell.internal.migration;

import java.time.Duration;

import org.updraft.api.multiformats.Cid;

/**
 * Where a migration stands, as {@link MigrationProgress} hears it.
 *
 * @param objectsDone objects finished (copied, found already there, or failed)
 * @param objectsTotal objects the source holds
 * @param bytesRead bytes read from the source so far
 * @param bytesTotal bytes of all the source's objects
 * @param current the object being copied, or {@code null} between objects
 * @param elapsed time since the migration started
 */
public record MigrationStatus(long objectsDone, long objectsTotal, long bytesRead, long bytesTotal, Cid current,
        Duration elapsed) {

    /** Bytes read per second, averaged since the start; 0 before a millisecond passed. */
    public double bytesPerSecond() {
        long millis = elapsed.toMillis();
        return millis <= 0 ? 0 : bytesRead * 1000.0 / millis;
    }
}
