package org.updraft.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.Lease;

/** How updraft:status shows the rollout leases of a ledger several nodes share. */
class LeaseLinesTest {

    private static final Instant NOW = Instant.parse("2026-12-07T05:00:00Z");

    private static Lease lease(String name, String holder, long token, long expiresInSeconds) {
        return new Lease(name, holder, token, NOW.minusSeconds(60), NOW.plusSeconds(expiresInSeconds));
    }

    @Test
    void heldLeasesOneLineEachThenTheFreeOnesOnOne() {
        List<String> lines = StatusCommand.leaseLines(List.of(lease("rollout/r-1", "node-a", 3, 10),
                lease("rollout/r-2", "node-b", 1, 12), lease("rollout/r-0", "node-a", 2, -30)), "node-a", NOW);
        assertEquals(List.of(
                "lease rollout/r-1: held by node-a (this one) since 2026-12-07T04:59:00Z, until 2026-12-07T05:00:10Z,"
                        + " token 3",
                "lease rollout/r-2: held by node-b since 2026-12-07T04:59:00Z, until 2026-12-07T05:00:12Z, token 1",
                "leases free: rollout/r-0 (last node-a (this one), lapsed 2026-12-07T04:59:30Z)"), lines);
    }

    @Test
    void manyFreeLeasesAreCountedNotListed() {
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            leases.add(lease("rollout/r-" + i, "node-b", 1, -1));
        }
        List<String> lines = StatusCommand.leaseLines(leases, "node-a", NOW);
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).endsWith("rollout/r-4 (last node-b, lapsed 2026-12-07T04:59:59Z) and 3 more"),
                lines.get(0));
        assertEquals(List.of("leases: none (no rollout has run on several nodes)"),
                StatusCommand.leaseLines(List.of(), "node-a", NOW));
    }
}
