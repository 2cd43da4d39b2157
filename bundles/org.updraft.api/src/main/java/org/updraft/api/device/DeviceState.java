package org.updraft.api.device;

import java.util.Arrays;
import java.util.Optional;

/**
 * Where a device stands with its latest update, as it last reported it. The wire name ({@link #wireName()}) is
 * what devices send in their reports and what the ledger records.
 */
public enum DeviceState {
    /** Nothing reported since it was registered. */
    IDLE("idle"),
    /** It started downloading an offered image. */
    DOWNLOADING("downloading"),
    /** The whole image is downloaded. */
    DOWNLOADED("downloaded"),
    /** Manifest, inclusion proof and image verified on the device; not installed yet. */
    VERIFIED("verified"),
    /** Installed, booted and confirmed: only a device running the new image reports this. */
    INSTALLED("installed"),
    /** The update failed before the new image ran (download, verification, flash); the report says why. */
    FAILED("failed"),
    /** The new image did not boot or did not confirm, and the device went back to the old one. */
    ROLLED_BACK("rolled-back"),
    /**
     * It went longer than its limit without an answer the platform vouched for (a signed statement): answers were
     * withheld or replaced on its path, or it could not get through. It says so at its next contact with the
     * platform; it is about no update.
     */
    STALE("stale");

    private final String wireName;

    DeviceState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Whether this ends an update attempt: installed, failed or rolled back. */
    public boolean isFinal() {
        return this == INSTALLED || this == FAILED || this == ROLLED_BACK;
    }

    /** Whether this counts against a wave's error threshold. */
    public boolean isFailure() {
        return this == FAILED || this == ROLLED_BACK;
    }

    public static Optional<DeviceState> ofWireName(String name) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst();
    }
}
