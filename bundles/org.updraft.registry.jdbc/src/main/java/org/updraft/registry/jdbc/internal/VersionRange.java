package org.updraft.registry.jdbc.internal;

import java.util.Optional;

import org.updraft.core.manifest.SemanticVersion;

/**
 * An interval of semantic versions in interval notation: {@code [1.0.0,2.0.0)}, a square bracket includes its
 * end, a round one excludes it, and either end may be left empty for "unbounded": {@code [1.2.0,)},
 * {@code (,2.0.0)}. Versions compare by {@link SemanticVersion}'s precedence (a pre-release ranks below its
 * release). An interval that can hold no version ({@code [2.0.0,1.0.0]}, {@code (1.0.0,1.0.0)}) is refused.
 * Immutable.
 */
public final class VersionRange {

    /** Every version: {@code (,)}. */
    public static final VersionRange ANY = new VersionRange(null, false, null, false, "(,)");

    private final SemanticVersion lower;
    private final boolean lowerInclusive;
    private final SemanticVersion upper;
    private final boolean upperInclusive;
    private final String text;

    private VersionRange(SemanticVersion lower, boolean lowerInclusive, SemanticVersion upper,
            boolean upperInclusive, String text) {
        this.lower = lower;
        this.lowerInclusive = lowerInclusive;
        this.upper = upper;
        this.upperInclusive = upperInclusive;
        this.text = text;
    }

    /**
     * Parses interval notation; spaces around the versions are allowed.
     *
     * @throws IllegalArgumentException saying what is wrong, e.g. {@code version range '[1.0,2.0.0)': '1.0' is not
     *         a semantic version ...}
     */
    public static VersionRange parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("version range is missing");
        }
        String t = text.trim();
        if (t.length() < 3 || "[(".indexOf(t.charAt(0)) < 0 || ")]".indexOf(t.charAt(t.length() - 1)) < 0) {
            throw new IllegalArgumentException("version range '" + text
                    + "' is not in interval notation, e.g. [1.0.0,2.0.0) or [1.2.0,)");
        }
        String inner = t.substring(1, t.length() - 1);
        int comma = inner.indexOf(',');
        if (comma < 0 || inner.indexOf(',', comma + 1) >= 0) {
            throw new IllegalArgumentException("version range '" + text + "' needs exactly one comma between its ends");
        }
        boolean lowerInclusive = t.charAt(0) == '[';
        boolean upperInclusive = t.charAt(t.length() - 1) == ']';
        SemanticVersion lower = end(text, inner.substring(0, comma).trim());
        SemanticVersion upper = end(text, inner.substring(comma + 1).trim());
        if (lower == null && lowerInclusive || upper == null && upperInclusive) {
            throw new IllegalArgumentException("version range '" + text
                    + "': an open end takes a round bracket, e.g. [1.2.0,) or (,2.0.0)");
        }
        if (lower != null && upper != null) {
            int c = lower.compareTo(upper);
            if (c > 0 || c == 0 && !(lowerInclusive && upperInclusive)) {
                throw new IllegalArgumentException("version range '" + text + "' contains no version");
            }
        }
        return new VersionRange(lower, lowerInclusive, upper, upperInclusive, t);
    }

    private static SemanticVersion end(String range, String version) {
        if (version.isEmpty()) {
            return null;
        }
        try {
            return SemanticVersion.parse(version);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("version range '" + range + "': " + e.getMessage());
        }
    }

    /** Whether {@code version} lies in this interval. */
    public boolean includes(SemanticVersion version) {
        if (lower != null) {
            int c = version.compareTo(lower);
            if (c < 0 || c == 0 && !lowerInclusive) {
                return false;
            }
        }
        if (upper != null) {
            int c = version.compareTo(upper);
            if (c > 0 || c == 0 && !upperInclusive) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code version} parses as a semantic version and lies in this interval; false for any other text. */
    public boolean includes(String version) {
        try {
            return includes(SemanticVersion.parse(version));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The lower end, or empty when unbounded below. */
    public Optional<SemanticVersion> lower() {
        return Optional.ofNullable(lower);
    }

    public boolean lowerInclusive() {
        return lowerInclusive;
    }

    /** The upper end, or empty when unbounded above. */
    public Optional<SemanticVersion> upper() {
        return Optional.ofNullable(upper);
    }

    public boolean upperInclusive() {
        return upperInclusive;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionRange r && lowerInclusive == r.lowerInclusive && upperInclusive == r.upperInclusive
                && java.util.Objects.equals(lower, r.lower) && java.util.Objects.equals(upper, r.upper);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(lower, lowerInclusive, upper, upperInclusive);
    }

    /** The range as it was written (trimmed). */
    @Override
    public String toString() {
        return text;
    }
}
