package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.TimeWindow;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.RolloutEvents;

/** The rollout event payloads read back exactly as written, and refuse what breaks their schema. */
class RolloutEventsTest {

    @Test
    void payloadsRoundTripWithoutLosingPrecision() throws Exception {
        RolloutEvents.Created created = new RolloutEvents.Created("r-0a1b2c3d", "acme/thermo/7",
                new DeviceFilter("acme", "thermo", "cortex-m4", Set.of("beta", "lab"), "eu", "[1.0.0,2.0.0)"),
                List.of(new WaveSpec("canary", WaveSelector.parse("devices:a,b"), 100, 0, true, null, 0),
                        new WaveSpec("third", new WaveSelector.Percent(33.333), 12.5, 0.1, false,
                                TimeWindow.parse("22:00-04:30"), 250)),
                "alice");
        assertEquals(created, RolloutEvents.decode(EventTypes.ROLLOUT_CREATED, RolloutEvents.created(created)));

        RolloutEvents.Changed changed = new RolloutEvents.Changed("r-0a1b2c3d", RolloutState.PAUSED, 1,
                "wave 1 (third): 3 of 10 failed", "platform", 41);
        assertEquals(changed, RolloutEvents.decode(EventTypes.ROLLOUT_CHANGED, RolloutEvents.changed(changed)));
        RolloutEvents.Offered offered = new RolloutEvents.Offered("r-0a1b2c3d", "dev-7", "acme/thermo/7", 1);
        assertEquals(offered, RolloutEvents.decode(EventTypes.ROLLOUT_OFFERED, RolloutEvents.offered(offered)));
    }

    @Test
    void aPayloadOutsideTheSchemaIsRefused() {
        byte[] extra = Cbor.encode(Map.of("rollout", "r-1", "device", "d", "release", "a/b/1", "wave", 0L, "x", 1L));
        assertEquals("rollout.offered: unknown field 'x'", assertThrows(CborException.class,
                () -> RolloutEvents.decode(EventTypes.ROLLOUT_OFFERED, extra)).getMessage());
        byte[] badState = Cbor.encode(Map.of("rollout", "r-1", "state", "exploded", "wave", 0L, "by", "x", "after", 3L));
        assertThrows(CborException.class, () -> RolloutEvents.decode(EventTypes.ROLLOUT_CHANGED, badState));
        assertThrows(CborException.class, () -> RolloutEvents.decode(EventTypes.RELEASE_PUBLISHED, extra));
    }
}
