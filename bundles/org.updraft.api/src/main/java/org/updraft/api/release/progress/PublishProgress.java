package org.updraft.api.release.progress;

import org.osgi.annotation.versioning.ConsumerType;

/** Told, from the publishing thread, how far the upload of an image has come. */
@ConsumerType
@FunctionalInterface
public interface PublishProgress {

    void bytesStored(long done, long total);
}
