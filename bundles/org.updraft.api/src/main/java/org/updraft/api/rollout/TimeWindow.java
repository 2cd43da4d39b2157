package org.updraft.api.rollout;

import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Objects;

/**
 * A daily window in UTC during which a wave offers the release, e.g. 02:00–05:00 for night-time updates. A
 * window whose end is before its start spans midnight. Devices outside the window are told to check later.
 */
public record TimeWindow(LocalTime from, LocalTime to) {

    public TimeWindow {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (from.equals(to)) {
            throw new IllegalArgumentException("a time window must not be empty: " + from + "-" + to);
        }
    }

    /** Whether the instant (in UTC) falls in the window. */
    public boolean contains(java.time.Instant instant) {
        LocalTime t = ZonedDateTime.ofInstant(instant, ZoneOffset.UTC).toLocalTime();
        return from.isBefore(to) ? !t.isBefore(from) && t.isBefore(to) : !t.isBefore(from) || t.isBefore(to);
    }

    /** Parses {@code HH:MM-HH:MM}. */
    public static TimeWindow parse(String text) {
        String[] parts = text == null ? new String[0] : text.split("-");
        if (parts.length != 2) {
            throw new IllegalArgumentException("time window '" + text + "' must be HH:MM-HH:MM (UTC)");
        }
        try {
            return new TimeWindow(LocalTime.parse(parts[0].trim()), LocalTime.parse(parts[1].trim()));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("time window '" + text + "' must be HH:MM-HH:MM (UTC)");
        }
    }

    @Override
    public String toString() {
        return from + "-" + to;
    }
}
