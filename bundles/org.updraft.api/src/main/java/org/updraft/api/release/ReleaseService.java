package org.updraft.api.release;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.updraft.api.release.progress.PublishProgress;

/**
 * Publishes and finds releases. Publishing verifies the manifest and the image as a device would (signature,
 * trusted and unrevoked signer, digest, size, CID, a sequence above every earlier release of the class), asks the
 * device profile the manifest names whether the class's devices can boot the image
 * ({@link org.updraft.api.profile.DeviceProfile}; refused as {@code profile-missing} while none of that id runs,
 * {@code profile-rejected} when it refuses, {@code publish-conflict} when another release of the class was recorded
 * while it checked, so that its rules never skip a release), stores the image, and appends a
 * {@code release.published} event.
 * Nothing is recorded unless everything checks out.
 */
@ProviderType
public interface ReleaseService {

    /**
     * Verifies, stores and records a release.
     *
     * @param manifest the signed manifest (COSE_Sign1)
     * @param firmware the image file
     * @param deviceClass the device class the operator means to publish for, checked against the manifest;
     *        {@code null} to take the manifest's
     * @param progress told how many bytes of the image were stored so far; may be {@code null}
     * @param actor who publishes, as the ledger names operators (e.g. {@code operator:karaf}), recorded in the
     *        {@code release.published} event; {@code null} when no operator does
     * @throws ReleaseException naming the check that failed
     */
    Release publish(byte[] manifest, Path firmware, String deviceClass, PublishProgress progress, String actor)
            throws ReleaseException;

    /** {@link #publish(byte[], Path, String, PublishProgress, String)} on no operator's behalf. */
    default Release publish(byte[] manifest, Path firmware, String deviceClass, PublishProgress progress)
            throws ReleaseException {
        return publish(manifest, firmware, deviceClass, progress, null);
    }

    /** All published releases, oldest first. */
    List<Release> list();

    /** The release with that id ({@code vendor/class/sequence}), if published. */
    Optional<Release> find(String id);
}
