package org.updraft.api.retention;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Applies the retention rule (README, "Retention") to the serving firmware store: unpins the images of releases no one needs
 * any more (the store may then collect them) and pins again the image of a kept release that was unpinned. Pinned
 * objects that no release references (a publish that crashed between storing its image and recording its release)
 * are unpinned too, once unreferenced for a grace period.
 * The platform runs it on a schedule; {@code updraft:store-retain} runs it on demand.
 */
@ProviderType
public interface ReleaseRetention {

    /**
     * Decides for every release and, unless {@code dryRun}, unpins and re-pins accordingly. Runs one at a time.
     *
     * @throws RetentionException when the ledger, the registry or the store cannot be read before anything is
     *         decided; nothing was unpinned then (a store failure on one image is reported in its entry instead)
     */
    RetentionReport run(boolean dryRun) throws RetentionException;
}
