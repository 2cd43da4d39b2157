package org.updraft.transport.lorawan.internal.fuota;

/**
 * PackageVersionAns (CID 0x00, uplink): the package's identifier (1 clock sync, 2 multicast setup, 3
 * fragmentation) and its version (TS004: 1 for v1.0.0, 2 for v2.0.0).
 */
public record PackageVersionAns(int packageIdentifier, int packageVersion) implements FuotaCommand {

    public PackageVersionAns {
        Fields.requireRange("PackageIdentifier", packageIdentifier, 0, 0xFF);
        Fields.requireRange("PackageVersion", packageVersion, 0, 0xFF);
    }

    @Override
    public int cid() {
        return 0x00;
    }

    @Override
    public Direction direction() {
        return Direction.UPLINK;
    }
}
