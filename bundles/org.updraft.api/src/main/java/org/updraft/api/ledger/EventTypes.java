package org.updraft.api.ledger;

/** The event types on the ledger. Their payload schemas are defined in {@code org.updraft.core.event}. */
public final class EventTypes {

    /** A manufacturer key became trusted for a vendor (and optionally some device classes). */
    public static final String KEY_REGISTERED = "trust.key-registered";
    /** A manufacturer key was replaced by a successor; releases it signed earlier stay valid. */
    public static final String KEY_ROTATED = "trust.key-rotated";
    /** A manufacturer key is no longer trusted; releases it signed are rejected from now on. */
    public static final String KEY_REVOKED = "trust.key-revoked";
    /** A release was verified, stored and published; the payload carries the signed manifest. */
    public static final String RELEASE_PUBLISHED = "release.published";
    /**
     * A patch from one published release's image to a later one's was made, checked and stored; the payload names
     * both images by SHA-256, the codec, and the patch's CID and size.
     */
    public static final String DELTA_PUBLISHED = "delta.published";

    /** A rollout was created (as a draft); the payload carries its whole spec. */
    public static final String ROLLOUT_CREATED = "rollout.created";
    /** A rollout changed state or wave: started, paused, resumed, advanced, completed or cancelled. */
    public static final String ROLLOUT_CHANGED = "rollout.changed";
    /** A device was offered a rollout's release for the first time. */
    public static final String ROLLOUT_OFFERED = "rollout.offered";
    /** A device reported on an update (downloading … installed, failed, rolled back), signed by its key. */
    public static final String DEVICE_REPORTED = "device.reported";
    /** A device enrolled itself (auto-registration), proving possession of its key. */
    public static final String DEVICE_ENROLLED = "device.enrolled";

    private EventTypes() {
    }
}
