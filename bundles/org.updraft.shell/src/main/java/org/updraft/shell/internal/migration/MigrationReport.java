package org.updraft.shell.internal.migration;

import java.time.Duration;
import java.util.List;

import org.updraft.shell.internal.migration.MigratedObject.Outcome;

/**
 * The outcome of a migration run.
 *
 * @param objects one entry per object of the source, in the order they were taken
 * @param stoppedBecause why the run stopped before the last object (interrupted, the target became
 *        unavailable), or {@code null} when it went through every object
 * @param bytesCopied bytes of the objects copied
 * @param elapsed how long the run took
 * @param dryRun whether it only looked
 */
public record MigrationReport(List<MigratedObject> objects, String stoppedBecause, long bytesCopied,
        Duration elapsed, boolean dryRun) {

    public MigrationReport {
        objects = List.copyOf(objects);
    }

    public long count(Outcome outcome) {
        return objects.stream().filter(o -> o.outcome() == outcome).count();
    }

    /** The objects that failed or were not attempted. */
    public List<MigratedObject> problems() {
        return objects.stream().filter(o -> o.outcome() == Outcome.FAILED || o.outcome() == Outcome.NOT_ATTEMPTED)
                .toList();
    }

    /** Whether the target now holds every object of the source (for a dry run: whether it could). */
    public boolean succeeded() {
        return stoppedBecause == null && problems().isEmpty();
    }

    /** One line: {@code 12 copied, 3 already there, 1 failed, 0 not attempted}. */
    public String summary() {
        String head = dryRun ? count(Outcome.WOULD_COPY) + " would be copied" : count(Outcome.COPIED) + " copied";
        return head + ", " + count(Outcome.ALREADY_THERE) + " already there, " + count(Outcome.FAILED) + " failed, "
                + count(Outcome.NOT_ATTEMPTED) + " not attempted";
    }
}
