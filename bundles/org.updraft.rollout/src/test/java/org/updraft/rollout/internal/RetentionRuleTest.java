package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutState;
import org.updraft.rollout.internal.RetentionRule.FleetUse;
import org.updraft.rollout.internal.RetentionRule.Verdict;

class RetentionRuleTest {

    private static final Instant T = Instant.parse("2026-11-01T00:00:00Z");

    private static Release release(String deviceClass, long sequence, int image) {
        byte[] digest = new byte[32];
        digest[0] = (byte) image;
        digest[1] = (byte) deviceClass.hashCode();
        return new Release(Release.id("acme", deviceClass, sequence), "acme", deviceClass, null, "1.0." + sequence,
                sequence, 10, digest, Cid.v0(digest), "did:key:z6Mk", T, T, sequence, new byte[1]);
    }

    private static Rollout rollout(String id, Release r, RolloutState state) {
        return new Rollout(id, r.id(), DeviceFilter.ALL, List.of(), state, 0, null, T, T, 0);
    }

    private static Map<String, Verdict> decide(List<Release> releases, int keep, FleetUse use) {
        Map<String, Verdict> m = new LinkedHashMap<>();
        RetentionRule.decide(releases, keep, use).forEach(v -> m.put(v.release().id(), v));
        return m;
    }

    private static FleetUse none() {
        return new FleetUse(List.of(), Map.of(), Map.of());
    }

    @Test
    void theNewestPerClassAreKeptWhateverTheOrderGiven() {
        List<Release> releases = new ArrayList<>(List.of(release("thermo", 3, 3), release("thermo", 1, 1),
                release("valve", 9, 9), release("thermo", 2, 2), release("valve", 8, 8)));
        Map<String, Verdict> v = decide(releases, 2, none());
        assertEquals(List.of("acme/thermo/3", "acme/valve/9", "acme/thermo/2", "acme/valve/8"),
                v.values().stream().filter(Verdict::keep).map(x -> x.release().id()).toList());
        assertEquals(false, v.get("acme/thermo/1").keep());
        assertEquals(0, decide(releases, 0, none()).values().stream().filter(Verdict::keep).count(),
                "keeping none per class keeps only what is used");
    }

    @Test
    void onlyACompletedOrCancelledRolloutLetsItsReleaseGo() {
        List<Release> releases = List.of(release("thermo", 1, 1), release("thermo", 2, 2), release("thermo", 3, 3),
                release("thermo", 4, 4), release("thermo", 5, 5), release("thermo", 6, 6));
        FleetUse use = new FleetUse(List.of(rollout("r-1", releases.get(0), RolloutState.DRAFT),
                rollout("r-2", releases.get(1), RolloutState.RUNNING),
                rollout("r-3", releases.get(2), RolloutState.PAUSED),
                rollout("r-4", releases.get(3), RolloutState.COMPLETED),
                rollout("r-5", releases.get(4), RolloutState.CANCELLED)), Map.of(), Map.of());
        Map<String, Verdict> v = decide(releases, 1, use);
        assertEquals(List.of("rollout r-1 is draft"), v.get("acme/thermo/1").reasons());
        assertEquals(List.of("rollout r-2 is running"), v.get("acme/thermo/2").reasons());
        assertEquals(List.of("rollout r-3 is paused"), v.get("acme/thermo/3").reasons());
        assertEquals(false, v.get("acme/thermo/4").keep());
        assertEquals(false, v.get("acme/thermo/5").keep());
        assertEquals(true, v.get("acme/thermo/6").keep());
    }

    @Test
    void devicesRunningOrStillDownloadingKeepTheirReleaseAndEveryRuleIsNamed() {
        Release old = release("thermo", 1, 1);
        Release newest = release("thermo", 2, 2);
        FleetUse use = new FleetUse(List.of(rollout("r-1", old, RolloutState.RUNNING)),
                Map.of(old.id(), Set.of("d-2", "d-1")), Map.of(old.id(), Set.of("d-3")));
        Verdict v = decide(List.of(old, newest), 1, use).get(old.id());
        assertEquals(List.of("rollout r-1 is running", "2 devices run it (d-1, …)",
                "device d-3 was offered it and has not finished"), v.reasons());
        assertEquals("rollout r-1 is running; 2 devices run it (d-1, …); device d-3 was offered it and has not finished",
                v.why());
    }

    @Test
    void aNegativeKeepIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RetentionRule.decide(List.of(), -1, none()));
    }
}
