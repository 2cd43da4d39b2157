package org.updraft.api.delta;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;
import org.updraft.api.release.ReleaseException;

/**
 * Delta updates between published releases. A delta is made from a base release to a later release of the same
 * vendor and device class, with a codec the class's devices accept (the device profile's
 * {@link org.updraft.api.profile.ProfileLimits#deltaCodecs()}, within its delta memory), checked by applying it
 * and hashing the result against the target's signed digest, stored by CID in the serving store, and recorded on
 * the ledger as {@code delta.published}. A delta is never recorded before its patch is stored, and never stored
 * for nothing: a refused delta leaves neither.
 *
 * <p>Refusals are {@link ReleaseException}s with a reason code: {@code unknown-release}, {@code not-older} (the
 * base is not an earlier release of the class), {@code same-image}, {@code no-codec} (no running codec the class
 * accepts, or the one asked for is not running), {@code too-large} (an image above the configured limit for
 * making deltas), {@code not-smaller} (the patch would be no smaller than the image), {@code delta-failed} (the
 * codec refused, or its patch did not rebuild the target), {@code no-store}, {@code store-failed},
 * {@code ledger-failed}.
 */
@ProviderType
public interface ReleaseDeltas {

    /**
     * Makes, checks, stores and records a delta from {@code fromRelease} to {@code toRelease}, unless one with the
     * same codec is recorded already, which is then returned.
     *
     * @param codec the codec to use; {@code null} for the one the class prefers (its profile's first running
     *        codec, or the configured default for classes without a profile)
     * @throws ReleaseException naming the reason it was refused
     */
    Delta publish(String fromRelease, String toRelease, String codec) throws ReleaseException;

    /**
     * The deltas a release gets when it is published: one from each of {@code fromReleases} (each as
     * {@link #publish} makes it), and, when the service is configured to ({@code from.installed}), one from each
     * release the registered devices of its class run. A base named in {@code fromReleases} that is refused
     * refuses the call (the deltas made before it stay recorded); a base found among the devices that is refused
     * is logged and skipped.
     *
     * @param codec as for {@link #publish}
     * @return the deltas to {@code toRelease} from those bases, oldest first; existing ones included
     * @throws ReleaseException when {@code toRelease} is not published, a named base is refused, or the registry
     *         cannot be read
     */
    List<Delta> publishFor(String toRelease, List<String> fromReleases, String codec) throws ReleaseException;

    /** The recorded deltas to {@code toRelease}, oldest first. */
    List<Delta> to(String toRelease);

    /** Every recorded delta, oldest first. */
    List<Delta> list();
}
