package org.updraft.shell.internal.migration;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told how a migration advances: after every object and while an object's bytes are copied. Called on the
 * migrating thread; it should return fast (draw a line, not write a file).
 */
@ConsumerType
@FunctionalInterface
public interface MigrationProgress {

    /** Hears nothing. */
    MigrationProgress NONE = status -> {
    };

    void update(MigrationStatus status);
}
