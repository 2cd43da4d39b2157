package org.updraft.transport.lorawan.internal.fuota;

/**
 * The version of TS004 (fragmented data block transport) a device runs, chosen per device class: the commands
 * differ (v2 adds a session counter, a MIC of the data block and DataBlockReceived) and so do the FEC's parity rows.
 */
public enum Ts004Version {
    V1_0_0(1, "1.0.0"),
    V2_0_0(2, "2.0.0");

    private final int packageVersion;
    private final String text;

    Ts004Version(int packageVersion, String text) {
        this.packageVersion = packageVersion;
        this.text = text;
    }

    /** The PackageVersion a device of this version answers. */
    public int packageVersion() {
        return packageVersion;
    }

    /** 1 or 2, as the CLI's {@code --ts004} names it. */
    public static Ts004Version of(int major) {
        for (Ts004Version v : values()) {
            if (v.packageVersion == major) {
                return v;
            }
        }
        throw new IllegalArgumentException("TS004 version must be 1 (v1.0.0) or 2 (v2.0.0), not " + major);
    }

    @Override
    public String toString() {
        return "v" + text;
    }
}
