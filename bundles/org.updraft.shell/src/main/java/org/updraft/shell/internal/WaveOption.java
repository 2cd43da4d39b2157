package org.updraft.shell.internal;

import org.updraft.api.rollout.TimeWindow;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;

/**
 * The shell's text form of a wave: {@code NAME;SELECTOR[;success=N][;error=N][;manual][;window=HH:MM-HH:MM][;cap=N]},
 * e.g. {@code canary;devices:d1,d2,d3;success=100;error=20} or {@code europe;region:eu-west;manual;cap=50}.
 */
final class WaveOption {

    /** Share of a wave that must install for it to pass, unless given. */
    static final double DEFAULT_SUCCESS = 90;
    /** Share of a wave that may fail before the rollout pauses, unless given. */
    static final double DEFAULT_ERROR = 10;

    static final String SYNTAX = "NAME;SELECTOR[;success=N][;error=N][;manual][;window=HH:MM-HH:MM][;cap=N], "
            + "SELECTOR being devices:ID,ID,…, region:NAME or percent:N";

    private WaveOption() {
    }

    static WaveSpec parse(String text) {
        String[] parts = text.split(";");
        if (parts.length < 2) {
            throw new IllegalArgumentException("wave '" + text + "' must be " + SYNTAX);
        }
        String name = parts[0].trim();
        WaveSelector selector = WaveSelector.parse(parts[1].trim());
        double success = DEFAULT_SUCCESS;
        double error = DEFAULT_ERROR;
        boolean auto = true;
        TimeWindow window = null;
        int cap = 0;
        for (int i = 2; i < parts.length; i++) {
            String part = parts[i].trim();
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? null : part.substring(eq + 1).trim();
            switch (key) {
            case "manual":
                auto = false;
                break;
            case "success":
                success = number(text, key, value);
                break;
            case "error":
                error = number(text, key, value);
                break;
            case "window":
                window = TimeWindow.parse(value);
                break;
            case "cap":
                cap = (int) number(text, key, value);
                break;
            default:
                throw new IllegalArgumentException("wave '" + text + "': unknown setting '" + key + "'; " + SYNTAX);
            }
        }
        return new WaveSpec(name, selector, success, error, auto, window, cap);
    }

    private static double number(String text, String key, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("wave '" + text + "': " + key + " needs a number, e.g. " + key + "=10");
        }
    }

    static String format(WaveSpec w) {
        StringBuilder s = new StringBuilder(w.name()).append(';').append(w.selector())
                .append(";success=").append(trim(w.successPercent())).append(";error=").append(trim(w.errorPercent()));
        if (!w.autoAdvance()) {
            s.append(";manual");
        }
        if (w.window() != null) {
            s.append(";window=").append(w.window());
        }
        if (w.maxConcurrentDownloads() > 0) {
            s.append(";cap=").append(w.maxConcurrentDownloads());
        }
        return s.toString();
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
