package org.updraft.api.release;

/** Told, from the publishing thread, how far the upload of an image has come. */
@FunctionalInterface
public interface PublishProgress {

    void bytesStored(long done, long total);
}
