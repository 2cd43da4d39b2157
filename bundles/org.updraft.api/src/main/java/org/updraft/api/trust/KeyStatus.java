package org.updraft.api.trust;

/** Where a manufacturer key stands. */
public enum KeyStatus {
    /** Trusted to sign new releases. */
    ACTIVE,
    /** Replaced by a successor: what it signed before stays valid, it signs nothing new. */
    ROTATED,
    /** Not trusted: everything it signed is rejected. */
    REVOKED
}
