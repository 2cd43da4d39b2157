package org.updraft.core.mcuboot;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version in an MCUboot header: {@code major.minor.revision+build}, with an 8-bit major and minor, a 16-bit
 * revision and a 32-bit build number.
 *
 * <p>{@link #compareTo} orders as MCUboot does when it compares versions: major, minor, revision, then build
 * (MCUboot looks at the build number only when built with {@code MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER}).
 */
public record ImageVersion(int major, int minor, int revision, long build) implements Comparable<ImageVersion> {

    /** imgtool's syntax: later parts optional, no leading zeros. */
    private static final Pattern SYNTAX = Pattern.compile("(0|[1-9]\\d*)(?:\\.(0|[1-9]\\d*)(?:\\.(0|[1-9]\\d*)"
            + "(?:\\+(0|[1-9]\\d*))?)?)?");

    public ImageVersion {
        check("major", major, 0xff);
        check("minor", minor, 0xff);
        check("revision", revision, 0xffff);
        check("build", build, 0xffff_ffffL);
    }

    private static void check(String part, long value, long max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("version " + part + " " + value + " is out of range (0 to " + max
                    + " in an MCUboot header)");
        }
    }

    /**
     * Parses {@code maj.min.rev+build} as imgtool does, with later parts optional ({@code 1}, {@code 1.2},
     * {@code 1.2.3}, {@code 1.2.3+45}).
     *
     * @throws IllegalArgumentException with a one-line reason
     */
    public static ImageVersion parse(String text) {
        Matcher m = SYNTAX.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid MCUboot version '" + text
                    + "': it is major.minor.revision+build, later parts optional, e.g. 1.2.3+45");
        }
        try {
            return new ImageVersion(part(m, 1), part(m, 2), part(m, 3), m.group(4) == null ? 0
                    : Long.parseLong(m.group(4)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid MCUboot version '" + text + "': a part is out of range");
        }
    }

    private static int part(Matcher m, int group) {
        return m.group(group) == null ? 0 : Integer.parseInt(m.group(group));
    }

    /** imgtool's {@code --security-counter auto}: {@code (major << 24) + (minor << 16) + revision}. */
    public long securityCounter() {
        return ((long) major << 24) + ((long) minor << 16) + revision;
    }

    @Override
    public int compareTo(ImageVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        if (c == 0) {
            c = Integer.compare(revision, o.revision);
        }
        return c != 0 ? c : Long.compare(build, o.build);
    }

    /** As imgtool prints it: {@code 1.2.3+45}. */
    @Override
    public String toString() {
        return major + "." + minor + "." + revision + "+" + build;
    }
}
