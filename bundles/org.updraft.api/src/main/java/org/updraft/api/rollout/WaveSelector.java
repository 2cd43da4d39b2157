package org.updraft.api.rollout;

import java.util.List;
import java.util.Objects;

/**
 * Which of the rollout's target devices a wave takes. A device belongs to the first wave that takes it, so a
 * region or percentage wave takes only devices no earlier wave took. Membership depends only on the rollout
 * id, the device and the waves, so every platform node computes the same.
 */
public sealed interface WaveSelector {

    /** Explicitly listed devices, the usual canaries. Listed devices outside the target are ignored. */
    record Devices(List<String> ids) implements WaveSelector {
        public Devices {
            ids = List.copyOf(ids);
        }

        @Override
        public String toString() {
            return "devices:" + String.join(",", ids);
        }
    }

    /** The target devices of one region (geo-fenced waves warm regions one by one). */
    record Region(String region) implements WaveSelector {
        public Region {
            Objects.requireNonNull(region, "region");
        }

        @Override
        public String toString() {
            return "region:" + region;
        }
    }

    /**
     * A share of the devices that no earlier wave took, chosen by a hash of rollout id and device id;
     * {@code 100} takes all that remain.
     */
    record Percent(double percent) implements WaveSelector {
        public Percent {
            if (!(percent > 0 && percent <= 100)) {
                throw new IllegalArgumentException("a wave's percentage must be above 0 and at most 100: " + percent);
            }
        }

        @Override
        public String toString() {
            return "percent:" + (percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent));
        }
    }

    /**
     * Parses the text form used by the shell and the ledger: {@code devices:ID,ID,…}, {@code region:NAME} or
     * {@code percent:N}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static WaveSelector parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("wave selector '" + text
                    + "' must be devices:ID,ID,…, region:NAME or percent:N");
        }
        String kind = text.substring(0, colon);
        String value = text.substring(colon + 1).trim();
        if (value.isEmpty()) {
            throw new IllegalArgumentException("wave selector '" + text + "' has nothing after '" + kind + ":'");
        }
        switch (kind) {
        case "devices":
            return new Devices(List.of(value.split("\\s*,\\s*")));
        case "region":
            return new Region(value);
        case "percent":
            try {
                return new Percent(Double.parseDouble(value));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("wave selector '" + text + "': '" + value + "' is not a number");
            }
        default:
            throw new IllegalArgumentException("wave selector '" + text + "': unknown kind '" + kind
                    + "', expected devices, region or percent");
        }
    }
}
