package org.updraft.transport.coap.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

/** The per-peer limit's table, on a clock of the test's own. */
class PeerRatesTest {

    @Test
    void eachAddressHasItsOwnBudgetPerSecond() throws Exception {
        long[] now = {0};
        PeerRates rates = new PeerRates(3, () -> now[0], 12345);
        InetAddress a = InetAddress.getByName("192.0.2.1");
        InetAddress b = InetAddress.getByName("2001:db8::1");
        assertNotEquals(rates.slot(a), rates.slot(b), "this key puts them in slots of their own");
        for (int i = 0; i < 3; i++) {
            assertTrue(rates.allow(a));
        }
        assertFalse(rates.allow(a), "a's fourth request in one second");
        assertTrue(rates.allow(b), "b is not limited by a");
        now[0] += 999_000_000L;
        assertFalse(rates.allow(a), "still the same second");
        now[0] += 2_000_000L;
        assertTrue(rates.allow(a), "the next second");
    }
}
