package org.updraft.transport.lorawan.internal.radio;

import java.util.List;

/**
 * A LoRaWAN regional parameter set, as far as FUOTA needs it: its data rates and the sub-bands that limit how
 * often a gateway may transmit.
 */
public record Region(String name, List<DataRate> dataRates, List<SubBand> subBands) {

    /**
     * EU863-870 (RP002-1.0.3): DR0-DR5 are SF12-SF7 at 125 kHz, DR6 SF7 at 250 kHz; the largest FRMPayload is 51
     * bytes at DR0-2, 115 at DR3 and 222 at DR4-6. Sub-bands and their limits after ETSI EN 300 220 as LoRaWAN
     * stacks apply them; 869.525 MHz, where Class C and multicast downlinks usually go (RX2), lies in g3 (10%).
     */
    public static final Region EU868 = new Region("EU868",
            List.of(new DataRate(0, 12, 125_000, 51),
                    new DataRate(1, 11, 125_000, 51),
                    new DataRate(2, 10, 125_000, 51),
                    new DataRate(3, 9, 125_000, 115),
                    new DataRate(4, 8, 125_000, 222),
                    new DataRate(5, 7, 125_000, 222),
                    new DataRate(6, 7, 250_000, 222)),
            List.of(new SubBand("h1.3", 863_000_000L, 865_000_000L, 0.001),
                    new SubBand("h1.4", 865_000_000L, 868_000_000L, 0.01),
                    new SubBand("g1", 868_000_000L, 868_600_000L, 0.01),
                    new SubBand("g2", 868_700_000L, 869_200_000L, 0.001),
                    new SubBand("g3", 869_400_000L, 869_650_000L, 0.1),
                    new SubBand("g4", 869_700_000L, 870_000_000L, 0.01)));

    public Region {
        dataRates = List.copyOf(dataRates);
        subBands = List.copyOf(subBands);
    }

    /**
     * @throws IllegalArgumentException for a data rate the region does not define, naming the ones it does
     */
    public DataRate dataRate(int index) {
        for (DataRate dr : dataRates) {
            if (dr.index() == index) {
                return dr;
            }
        }
        throw new IllegalArgumentException(name + " has no DR" + index + "; it has DR" + dataRates.get(0).index()
                + " to DR" + dataRates.get(dataRates.size() - 1).index());
    }

    /**
     * @throws IllegalArgumentException for a frequency outside every sub-band: a gateway may not send there
     */
    public SubBand subBand(long frequencyHz) {
        for (SubBand band : subBands) {
            if (band.contains(frequencyHz)) {
                return band;
            }
        }
        throw new IllegalArgumentException(frequencyHz + " Hz lies in no " + name + " sub-band");
    }

    public SubBand subBand(String bandName) {
        for (SubBand band : subBands) {
            if (band.name().equals(bandName)) {
                return band;
            }
        }
        throw new IllegalArgumentException(name + " has no sub-band " + bandName);
    }
}
