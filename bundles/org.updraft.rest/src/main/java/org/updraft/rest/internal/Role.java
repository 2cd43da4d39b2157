package org.updraft.rest.internal;

import java.util.Locale;

/** What a caller of the API may do; each role may do everything the roles below it may. */
enum Role {
    /** Reads: devices, releases, rollouts, ledger, trust, status. */
    VIEWER,
    /** Also steers the fleet: devices, rollouts, release publishing. */
    OPERATOR,
    /** Also changes trust. */
    ADMIN;

    boolean covers(Role required) {
        return compareTo(required) >= 0;
    }

    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named {@code text} (viewer, operator, admin). */
    static Role parse(String text) {
        if (text != null) {
            for (Role r : values()) {
                if (r.id().equals(text.strip().toLowerCase(Locale.ROOT))) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("unknown role '" + text + "': viewer, operator or admin");
    }
}
