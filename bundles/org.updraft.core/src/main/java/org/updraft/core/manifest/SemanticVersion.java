package org.updraft.core.manifest;

import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Semantic Versioning 2.0.0 version, ordered by its precedence rules (build metadata is ignored). */
public final class SemanticVersion implements Comparable<SemanticVersion> {

    private static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})"
                    + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                    + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?");

    private final String text;
    private final int major;
    private final int minor;
    private final int patch;
    private final String[] preRelease;

    private SemanticVersion(String text, int major, int minor, int patch, String[] preRelease) {
        this.text = text;
        this.major = major;
        this.minor = minor;
        this.patch = patch;
        this.preRelease = preRelease;
    }

    /**
     * Parses {@code MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]}.
     *
     * @throws IllegalArgumentException when the text is not a semantic version
     */
    public static SemanticVersion parse(String text) {
        Matcher m = text == null || text.length() > 128 ? null : SEMVER.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0)");
        }
        String[] pre = m.group(4) == null ? new String[0] : m.group(4).split("\\.");
        return new SemanticVersion(text, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)), pre);
    }

    @Override
    public int compareTo(SemanticVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        if (c == 0) {
            c = Integer.compare(patch, o.patch);
        }
        if (c != 0) {
            return c;
        }
        // a version without pre-release identifiers ranks above any with them
        if (preRelease.length == 0 || o.preRelease.length == 0) {
            return Boolean.compare(preRelease.length == 0, o.preRelease.length == 0);
        }
        for (int i = 0; i < Math.min(preRelease.length, o.preRelease.length); i++) {
            c = comparePreRelease(preRelease[i], o.preRelease[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(preRelease.length, o.preRelease.length);
    }

    private static int comparePreRelease(String a, String b) {
        boolean na = a.chars().allMatch(Character::isDigit);
        boolean nb = b.chars().allMatch(Character::isDigit);
        if (na && nb) {
            return new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b));
        }
        if (na != nb) {
            return na ? -1 : 1;
        }
        return a.compareTo(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SemanticVersion v && compareTo(v) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(major, minor, patch, Arrays.hashCode(preRelease));
    }

    @Override
    public String toString() {
        return text;
    }
}
