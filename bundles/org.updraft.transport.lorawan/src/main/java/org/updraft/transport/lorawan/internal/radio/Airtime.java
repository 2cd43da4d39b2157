package org.updraft.transport.lorawan.internal.radio;

/**
 * Time on air of a LoRa frame, by Semtech's formula (SX1276 datasheet, LoRa modem section; AN1200.13), as LoRaWAN
 * sends it: coding rate 4/5, explicit header, CRC on, an 8-symbol preamble, low data rate optimisation for SF11
 * and SF12 at 125 kHz (symbols longer than 16 ms).
 *
 * <pre>
 * Tsym     = 2^SF / BW
 * Tpre     = (8 + 4.25) Tsym
 * nPayload = 8 + max(ceil((8 PL - 4 SF + 28 + 16 CRC - 20 IH) / (4 (SF - 2 DE))) (CR + 4), 0)
 * airtime  = Tpre + nPayload Tsym
 * </pre>
 *
 * At 125 and 250 kHz a symbol lasts a whole multiple of 4 microseconds for SF7 and above, so the result is exact in
 * microseconds.
 */
public final class Airtime {

    /** LoRaWAN's preamble: 8 programmed symbols (the radio adds 4.25). */
    public static final int PREAMBLE_SYMBOLS = 8;

    /** The PHYPayload around an FRMPayload: MHDR (1), DevAddr (4), FCtrl (1), FCnt (2), FPort (1), MIC (4). */
    public static final int FRAME_OVERHEAD = 13;

    private static final int CODING_RATE = 1; // 4/5
    private static final int CRC = 1;
    private static final int IMPLICIT_HEADER = 0;

    private Airtime() {
    }

    /** One symbol, in microseconds. */
    public static long symbolMicros(int spreadingFactor, int bandwidthHz) {
        if (spreadingFactor < 7 || spreadingFactor > 12) {
            throw new IllegalArgumentException("LoRaWAN's spreading factors are 7 to 12, not " + spreadingFactor);
        }
        if (bandwidthHz != 125_000 && bandwidthHz != 250_000 && bandwidthHz != 500_000) {
            throw new IllegalArgumentException("LoRa bandwidth must be 125, 250 or 500 kHz, not " + bandwidthHz + " Hz");
        }
        return (1_000_000L << spreadingFactor) / bandwidthHz;
    }

    /** Whether the radio turns on low data rate optimisation: symbols of 16 ms and more (SF11, SF12 at 125 kHz). */
    public static boolean lowDataRateOptimised(int spreadingFactor, int bandwidthHz) {
        return symbolMicros(spreadingFactor, bandwidthHz) >= 16_000;
    }

    /** The payload's symbols, header included (the formula's nPayload). */
    public static int payloadSymbols(int spreadingFactor, int bandwidthHz, int phyPayload) {
        if (phyPayload < 0 || phyPayload > 255) {
            throw new IllegalArgumentException("a LoRa PHYPayload is 0 to 255 bytes, not " + phyPayload);
        }
        int de = lowDataRateOptimised(spreadingFactor, bandwidthHz) ? 1 : 0;
        int numerator = 8 * phyPayload - 4 * spreadingFactor + 28 + 16 * CRC - 20 * IMPLICIT_HEADER;
        int denominator = 4 * (spreadingFactor - 2 * de);
        int blocks = Math.max(Math.floorDiv(numerator + denominator - 1, denominator), 0);
        return 8 + blocks * (CODING_RATE + 4);
    }

    /** Time on air of a PHYPayload of {@code phyPayload} bytes, in microseconds. */
    public static long ofPhyPayload(int spreadingFactor, int bandwidthHz, int phyPayload) {
        long symbol = symbolMicros(spreadingFactor, bandwidthHz);
        // 4.25 extra preamble symbols: count in quarter symbols
        long quarters = 4L * (PREAMBLE_SYMBOLS + payloadSymbols(spreadingFactor, bandwidthHz, phyPayload)) + 17;
        return quarters * symbol / 4;
    }

    /**
     * Time on air of a LoRaWAN data frame without FOpts carrying {@code frmPayload} application bytes, in
     * microseconds.
     *
     * @throws IllegalArgumentException when the data rate cannot carry that many bytes
     */
    public static long ofFrmPayload(DataRate dataRate, int frmPayload) {
        if (frmPayload < 0 || frmPayload > dataRate.maxFrmPayload()) {
            throw new IllegalArgumentException(dataRate + " carries 0 to " + dataRate.maxFrmPayload()
                    + " bytes of FRMPayload, not " + frmPayload);
        }
        return ofPhyPayload(dataRate.spreadingFactor(), dataRate.bandwidthHz(), FRAME_OVERHEAD + frmPayload);
    }
}
