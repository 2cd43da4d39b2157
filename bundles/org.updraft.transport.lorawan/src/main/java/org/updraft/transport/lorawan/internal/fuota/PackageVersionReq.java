package org.updraft.transport.lorawan.internal.fuota;

/** PackageVersionReq (CID 0x00 of every package, downlink, no fields): which version of the package runs. */
public record PackageVersionReq() implements FuotaCommand {

    @Override
    public int cid() {
        return 0x00;
    }

    @Override
    public Direction direction() {
        return Direction.DOWNLINK;
    }
}
