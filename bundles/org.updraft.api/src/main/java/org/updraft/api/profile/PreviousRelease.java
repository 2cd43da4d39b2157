package org.updraft.api.profile;

import java.nio.channels.SeekableByteChannel;
import java.util.Objects;

/**
 * The latest release of a class before the one being checked, for rules between consecutive images (MCUboot's
 * security counter never decreases).
 *
 * @param release what its manifest says
 * @param image its image, read from the firmware store by position on demand; the caller closes it. Reads fail
 *        with an {@link java.io.IOException} when the store cannot serve it (not running, image removed)
 */
public record PreviousRelease(ReleaseFacts release, SeekableByteChannel image) {

    public PreviousRelease {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(image, "image");
    }
}
