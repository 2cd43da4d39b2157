package org.updraft.transport.lorawan.internal.fuota;

import static org.updraft.transport.lorawan.internal.fuota.CommandSet.Entry.fixed;
import static org.updraft.transport.lorawan.internal.fuota.Direction.DOWNLINK;
import static org.updraft.transport.lorawan.internal.fuota.Direction.UPLINK;

import java.util.List;

/**
 * TS003 v1.0.0, application layer clock synchronisation, port 202: the device tells its clock (GPS seconds), the
 * server answers with the correction. Multicast sessions start at a GPS time, so devices must agree on it first.
 */
public final class ClockSync {

    public static final int PORT = 202;
    public static final int PACKAGE_IDENTIFIER = 1;
    public static final int PACKAGE_VERSION = 1;

    /** AppTimeReq (0x01, uplink): the device's clock, GPS seconds mod 2^32, and a 4-bit token. */
    public record AppTimeReq(long deviceTime, boolean ansRequired, int tokenReq) implements FuotaCommand {
        public AppTimeReq {
            Fields.requireRange("DeviceTime", deviceTime, 0, 0xFFFF_FFFFL);
            Fields.requireRange("TokenReq", tokenReq, 0, 15);
        }

        @Override
        public int cid() {
            return 0x01;
        }

        @Override
        public Direction direction() {
            return UPLINK;
        }
    }

    /** AppTimeAns (0x01, downlink): seconds to add to the device's clock, echoing the request's token. */
    public record AppTimeAns(int timeCorrection, int tokenAns) implements FuotaCommand {
        public AppTimeAns {
            Fields.requireRange("TokenAns", tokenAns, 0, 15);
        }

        @Override
        public int cid() {
            return 0x01;
        }

        @Override
        public Direction direction() {
            return DOWNLINK;
        }
    }

    /** DeviceAppTimePeriodicityReq (0x02, downlink): send AppTimeReq every 128·2^period seconds. */
    public record DeviceAppTimePeriodicityReq(int period) implements FuotaCommand {
        public DeviceAppTimePeriodicityReq {
            Fields.requireRange("Period", period, 0, 15);
        }

        @Override
        public int cid() {
            return 0x02;
        }

        @Override
        public Direction direction() {
            return DOWNLINK;
        }
    }

    /** DeviceAppTimePeriodicityAns (0x02, uplink): whether the period is refused, and the device's clock. */
    public record DeviceAppTimePeriodicityAns(boolean notSupported, long time) implements FuotaCommand {
        public DeviceAppTimePeriodicityAns {
            Fields.requireRange("Time", time, 0, 0xFFFF_FFFFL);
        }

        @Override
        public int cid() {
            return 0x02;
        }

        @Override
        public Direction direction() {
            return UPLINK;
        }
    }

    /** ForceDeviceResyncReq (0x03, downlink): send AppTimeReq now, up to 7 times; no answer. */
    public record ForceDeviceResyncReq(int nbTransmissions) implements FuotaCommand {
        public ForceDeviceResyncReq {
            Fields.requireRange("NbTransmissions", nbTransmissions, 0, 7);
        }

        @Override
        public int cid() {
            return 0x03;
        }

        @Override
        public Direction direction() {
            return DOWNLINK;
        }
    }

    // RFU bits are ignored when read (the specification's rule for receivers) and written as zero
    private static final CommandSet COMMANDS = new CommandSet("TS003 clock sync", PORT, List.of(
            fixed(DOWNLINK, 0x00, "PackageVersionReq", PackageVersionReq.class, 0,
                    in -> new PackageVersionReq(), (c, out) -> { }),
            fixed(UPLINK, 0x00, "PackageVersionAns", PackageVersionAns.class, 2,
                    in -> new PackageVersionAns(in.u8(), in.u8()),
                    (c, out) -> out.u8(c.packageIdentifier()).u8(c.packageVersion())),
            fixed(UPLINK, 0x01, "AppTimeReq", AppTimeReq.class, 5,
                    in -> {
                        long time = in.u32();
                        int param = in.u8();
                        return new AppTimeReq(time, (param & 0x10) != 0, param & 0x0F);
                    },
                    (c, out) -> out.u32(c.deviceTime()).u8((c.ansRequired() ? 0x10 : 0) | c.tokenReq())),
            fixed(DOWNLINK, 0x01, "AppTimeAns", AppTimeAns.class, 5,
                    in -> new AppTimeAns(in.s32(), in.u8() & 0x0F),
                    (c, out) -> out.u32(c.timeCorrection()).u8(c.tokenAns())),
            fixed(DOWNLINK, 0x02, "DeviceAppTimePeriodicityReq", DeviceAppTimePeriodicityReq.class, 1,
                    in -> new DeviceAppTimePeriodicityReq(in.u8() & 0x0F), (c, out) -> out.u8(c.period())),
            fixed(UPLINK, 0x02, "DeviceAppTimePeriodicityAns", DeviceAppTimePeriodicityAns.class, 5,
                    in -> new DeviceAppTimePeriodicityAns((in.u8() & 0x01) != 0, in.u32()),
                    (c, out) -> out.u8(c.notSupported() ? 1 : 0).u32(c.time())),
            fixed(DOWNLINK, 0x03, "ForceDeviceResyncReq", ForceDeviceResyncReq.class, 1,
                    in -> new ForceDeviceResyncReq(in.u8() & 0x07), (c, out) -> out.u8(c.nbTransmissions()))));

    private ClockSync() {
    }

    /** Every command of a frame received on port 202, in order. */
    public static List<FuotaCommand> decode(Direction direction, byte[] frame) throws FuotaCodecException {
        return COMMANDS.decode(direction, frame);
    }

    /** One frame for port 202 carrying {@code commands}, all travelling the same way. */
    public static byte[] encode(List<? extends FuotaCommand> commands) {
        return COMMANDS.encode(commands);
    }

    public static byte[] encode(FuotaCommand command) {
        return COMMANDS.encode(List.of(command));
    }
}
