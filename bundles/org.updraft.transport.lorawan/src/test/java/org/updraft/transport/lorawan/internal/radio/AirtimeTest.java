package org.updraft.transport.lorawan.internal.radio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Time on air against values worked out by hand from Semtech's formula (the figures its LoRa calculator shows),
 * and the duty cycle that paces a gateway.
 */
class AirtimeTest {

    @Test
    void sf7At125kHzFiftyOneBytes() {
        // Tsym = 2^7 / 125 kHz = 1024 µs; preamble 8 + 4.25 = 12.25 symbols = 12544 µs
        // payload: 8 PL - 4 SF + 28 + 16 = 408 - 28 + 28 + 16 = 424; ceil(424 / (4 * 7)) = ceil(15.14) = 16
        // symbols 8 + 16 * 5 = 88 -> 90112 µs; total 12544 + 90112 = 102656 µs (the calculator's 102.66 ms)
        assertEquals(88, Airtime.payloadSymbols(7, 125_000, 51));
        assertEquals(12544 + 90112, Airtime.ofPhyPayload(7, 125_000, 51));
    }

    @Test
    void sf12At125kHzIsLowDataRateOptimised() {
        // Tsym = 4096 / 125 kHz = 32768 µs, DE = 1: denominator 4 (12 - 2) = 40
        // empty frame PL 13: 104 - 48 + 28 + 16 = 100; ceil(100 / 40) = 3; 8 + 3 * 5 = 23 symbols
        // (12.25 + 23) * 32768 = 35.25 * 32768 = 1155072 µs (1155.1 ms)
        assertTrue(Airtime.lowDataRateOptimised(12, 125_000));
        assertEquals(23, Airtime.payloadSymbols(12, 125_000, 13));
        assertEquals(35.25 * 32768, Airtime.ofPhyPayload(12, 125_000, 13));
        // the largest DR0 frame, 51 + 13 = 64 bytes: 512 - 48 + 44 = 508; ceil(508 / 40) = 13; 8 + 65 = 73 symbols
        // (12.25 + 73) * 32768 = 2793472 µs
        assertEquals((long) (85.25 * 32768), Region.EU868.dataRate(0).airtimeMicros(51));
    }

    @Test
    void sf11At125kHzIsLowDataRateOptimisedAndSf10IsNot() {
        // SF11: Tsym 16384 µs (the 16 ms threshold), DE = 1, denominator 4 (11 - 4) = 36
        // 64 bytes: 512 - 44 + 44 = 512; ceil(512 / 36) = 15; 8 + 75 = 83 symbols; (12.25 + 83) * 16384 = 1560576
        assertTrue(Airtime.lowDataRateOptimised(11, 125_000));
        assertEquals((long) (95.25 * 16384), Region.EU868.dataRate(1).airtimeMicros(51));
        // SF10: Tsym 8192 µs, DE = 0, denominator 40; 512 - 40 + 44 = 516; ceil(516 / 40) = 13; 8 + 65 = 73
        // (12.25 + 73) * 8192 = 698368 µs
        assertFalse(Airtime.lowDataRateOptimised(10, 125_000));
        assertEquals((long) (85.25 * 8192), Region.EU868.dataRate(2).airtimeMicros(51));
        // SF11 at 250 kHz would be 8192 µs a symbol: no optimisation
        assertFalse(Airtime.lowDataRateOptimised(11, 250_000));
    }

    @Test
    void fullFramesAtTheFasterRates() {
        // DR3 SF9, 115 + 13 = 128 bytes: 1024 - 36 + 44 = 1032; ceil(1032 / 36) = 29; 8 + 145 = 153 symbols
        // Tsym 4096 µs: (12.25 + 153) * 4096 = 676864 µs
        assertEquals((long) (165.25 * 4096), Region.EU868.dataRate(3).airtimeMicros(115));
        // DR4 SF8, 235 bytes: 1880 - 32 + 44 = 1892; ceil(1892 / 32) = 60; 8 + 300 = 308; Tsym 2048
        // (12.25 + 308) * 2048 = 655872 µs
        assertEquals((long) (320.25 * 2048), Region.EU868.dataRate(4).airtimeMicros(222));
        // DR5 SF7, 235 bytes: 1880 - 28 + 44 = 1896; ceil(1896 / 28) = 68; 8 + 340 = 348; Tsym 1024
        // (12.25 + 348) * 1024 = 368896 µs
        assertEquals((long) (360.25 * 1024), Region.EU868.dataRate(5).airtimeMicros(222));
        // DR6 SF7 at 250 kHz: the same symbols, each 512 µs: 184448 µs
        assertEquals((long) (360.25 * 512), Region.EU868.dataRate(6).airtimeMicros(222));
    }

    @Test
    void eu868DataRatesAndTheirLargestFragments() {
        int[][] expected = { {12, 125, 51}, {11, 125, 51}, {10, 125, 51}, {9, 125, 115}, {8, 125, 222},
            {7, 125, 222}, {7, 250, 222} };
        for (int dr = 0; dr <= 6; dr++) {
            DataRate rate = Region.EU868.dataRate(dr);
            assertEquals(expected[dr][0], rate.spreadingFactor(), rate.toString());
            assertEquals(expected[dr][1] * 1000, rate.bandwidthHz(), rate.toString());
            assertEquals(expected[dr][2], rate.maxFrmPayload(), rate.toString());
            assertEquals(expected[dr][2] - 3, rate.maxFragmentSize(), rate.toString());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Region.EU868.dataRate(7));
        assertEquals("EU868 has no DR7; it has DR0 to DR6", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Region.EU868.dataRate(3).airtimeMicros(116));
        assertEquals("DR3 (SF9/125 kHz) carries 0 to 115 bytes of FRMPayload, not 116", e.getMessage());
    }

    @Test
    void oneFrameAtOnePercentSilencesTheSubBandNinetyNineTimesItsAirtime() {
        DutyCycleBudget budget = new DutyCycleBudget(Region.EU868);
        long g1 = 868_100_000L;
        Instant t0 = Instant.parse("2026-12-07T00:00:00Z");
        assertEquals(t0, budget.earliest(g1, t0));
        long airtime = Airtime.ofPhyPayload(7, 125_000, 51); // 102656 µs
        Instant next = budget.transmit(g1, t0, airtime);
        // T / 1% = 100 T after the start: 10.2656 s
        assertEquals(t0.plus(Duration.ofNanos(102656L * 100 * 1000)), next);
        assertEquals(next, budget.earliest(g1, t0.plusSeconds(1)));
        assertThrows(IllegalStateException.class, () -> budget.transmit(g1, t0.plusSeconds(1), airtime));
        // another sub-band is not held up
        long g3 = 869_525_000L;
        assertEquals(t0.plusSeconds(1), budget.earliest(g3, t0.plusSeconds(1)));
        assertEquals(airtime, budget.airtimeMicros());
    }

    @Test
    void dutyCycleIsConfigurablePerSubBandUpToItsLimit() {
        long g3 = 869_525_000L;
        DutyCycleBudget tenPercent = new DutyCycleBudget(Region.EU868, 0.01, Map.of("g3", 0.1));
        assertEquals(0.1, tenPercent.dutyCycle(g3));
        Instant t0 = Instant.EPOCH;
        assertEquals(t0.plus(Duration.ofNanos(3_688_960_000L)), tenPercent.transmit(g3, t0, 368_896));
        // the 1% default is lowered to g2's 0.1%
        assertEquals(0.001, tenPercent.dutyCycle(868_800_000L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DutyCycleBudget(Region.EU868, 0.01, Map.of("g1", 0.1)));
        assertEquals("EU868 sub-band g1 allows at most 1.0%, not 10.0%", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DutyCycleBudget(Region.EU868, 0, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new DutyCycleBudget(Region.EU868, 0.01, Map.of("x", 0.01)));
        assertThrows(IllegalArgumentException.class, () -> tenPercent.earliest(870_500_000L, t0));
    }
}
