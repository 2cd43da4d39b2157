package org.updraft.transport.lorawan.internal.radio;

/**
 * A frequency range whose transmissions share one duty-cycle limit (ETSI EN 300 220's sub-bands in EU868):
 * {@code lowHz} inclusive to {@code highHz} exclusive, with the largest share of time a transmitter may use it.
 */
public record SubBand(String name, long lowHz, long highHz, double maxDutyCycle) {

    public SubBand {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a sub-band needs a name");
        }
        if (lowHz <= 0 || highHz <= lowHz) {
            throw new IllegalArgumentException("sub-band " + name + ": " + lowHz + " to " + highHz + " Hz is no range");
        }
        DutyCycleBudget.requireShare("sub-band " + name + "'s duty cycle", maxDutyCycle);
    }

    public boolean contains(long frequencyHz) {
        return frequencyHz >= lowHz && frequencyHz < highHz;
    }
}
