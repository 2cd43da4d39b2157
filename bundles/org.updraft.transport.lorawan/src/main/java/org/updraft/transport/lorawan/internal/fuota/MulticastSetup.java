package org.updraft.transport.lorawan.internal.fuota;

import static org.updraft.transport.lorawan.internal.fuota.CommandSet.Entry.fixed;
import static org.updraft.transport.lorawan.internal.fuota.Direction.DOWNLINK;
import static org.updraft.transport.lorawan.internal.fuota.Direction.UPLINK;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * TS005, remote multicast setup, port 200, in v1.0.0 and v2.0.0: the server gives a device up to four multicast
 * groups (address, key encrypted under the device's McKEKey, frame counter range) and opens Class C or Class B
 * sessions on them. v2.0.0 lays the commands out as v1.0.0 and adds StartMissed to the session answers; each
 * version has its codec, {@link #of(int)}.
 */
public final class MulticastSetup {

    public static final int PORT = 200;
    public static final int PACKAGE_IDENTIFIER = 2;

    /** Group identifiers are 2 bits: a device holds at most four groups. */
    public static final int MAX_GROUPS = 4;

    // McClassC/BSessionAns: McGroupUndefined, FreqError, DRError; TimeToStart follows only when none is set
    private static final int SESSION_ERRORS = 0x1C;

    private static void requireGroup(int groupId) {
        Fields.requireRange("McGroupID", groupId, 0, MAX_GROUPS - 1);
    }

    /** McGroupStatusReq (0x01, downlink): the groups of {@code reqGroupMask} (bit i = group i) to report. */
    public record McGroupStatusReq(int reqGroupMask) implements FuotaCommand {
        public McGroupStatusReq {
            Fields.requireRange("ReqGroupMask", reqGroupMask, 0, 15);
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

    /** One defined group in McGroupStatusAns. */
    public record McGroup(int groupId, long mcAddr) {
        public McGroup {
            requireGroup(groupId);
            Fields.requireRange("McAddr", mcAddr, 0, 0xFFFF_FFFFL);
        }
    }

    /**
     * McGroupStatusAns (0x01, uplink): how many groups the device has, and the asked ones that are defined, in
     * increasing group order (the order of AnsGroupMask's bits).
     */
    public record McGroupStatusAns(int nbTotalGroups, List<McGroup> groups) implements FuotaCommand {
        public McGroupStatusAns {
            Fields.requireRange("NbTotalGroups", nbTotalGroups, 0, MAX_GROUPS);
            groups = List.copyOf(groups);
            for (int i = 1; i < groups.size(); i++) {
                if (groups.get(i).groupId() <= groups.get(i - 1).groupId()) {
                    throw new IllegalArgumentException("groups must be listed once each, in increasing McGroupID "
                            + "order, not " + groups.get(i - 1).groupId() + " then " + groups.get(i).groupId());
                }
            }
        }

        /** AnsGroupMask: bit i set when group i is listed. */
        public int ansGroupMask() {
            int mask = 0;
            for (McGroup g : groups) {
                mask |= 1 << g.groupId();
            }
            return mask;
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

    /**
     * McGroupSetupReq (0x02, downlink): group {@code groupId} is address {@code mcAddr} with McKey encrypted under
     * the device's McKEKey, valid for multicast frame counters {@code minMcFCount} to {@code maxMcFCount}.
     */
    public record McGroupSetupReq(int groupId, long mcAddr, byte[] mcKeyEncrypted, long minMcFCount,
            long maxMcFCount) implements FuotaCommand {
        public McGroupSetupReq {
            requireGroup(groupId);
            Fields.requireRange("McAddr", mcAddr, 0, 0xFFFF_FFFFL);
            mcKeyEncrypted = Fields.requireLength("McKey_encrypted", mcKeyEncrypted, 16);
            Fields.requireRange("minMcFCount", minMcFCount, 0, 0xFFFF_FFFFL);
            Fields.requireRange("maxMcFCount", maxMcFCount, minMcFCount, 0xFFFF_FFFFL);
        }

        @Override
        public byte[] mcKeyEncrypted() {
            return mcKeyEncrypted.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof McGroupSetupReq r && r.groupId == groupId && r.mcAddr == mcAddr
                    && Arrays.equals(r.mcKeyEncrypted, mcKeyEncrypted) && r.minMcFCount == minMcFCount
                    && r.maxMcFCount == maxMcFCount;
        }

        @Override
        public int hashCode() {
            return Objects.hash(groupId, mcAddr, Arrays.hashCode(mcKeyEncrypted), minMcFCount, maxMcFCount);
        }

        // key material stays out of logs, even encrypted
        @Override
        public String toString() {
            return "McGroupSetupReq[groupId=" + groupId + ", mcAddr=" + String.format("%08x", mcAddr)
                    + ", mcKeyEncrypted=(16 bytes), minMcFCount=" + minMcFCount + ", maxMcFCount=" + maxMcFCount
                    + "]";
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

    /** McGroupSetupAns (0x02, uplink): {@code idError} when the device cannot hold group {@code groupId}. */
    public record McGroupSetupAns(int groupId, boolean idError) implements FuotaCommand {
        public McGroupSetupAns {
            requireGroup(groupId);
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

    /** McGroupDeleteReq (0x03, downlink). */
    public record McGroupDeleteReq(int groupId) implements FuotaCommand {
        public McGroupDeleteReq {
            requireGroup(groupId);
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

    /** McGroupDeleteAns (0x03, uplink): {@code groupUndefined} when there was no such group. */
    public record McGroupDeleteAns(int groupId, boolean groupUndefined) implements FuotaCommand {
        public McGroupDeleteAns {
            requireGroup(groupId);
        }

        @Override
        public int cid() {
            return 0x03;
        }

        @Override
        public Direction direction() {
            return UPLINK;
        }
    }

    private static void requireSession(long sessionTime, int timeOut, long dlFrequencyHz, int dataRate) {
        Fields.requireRange("SessionTime", sessionTime, 0, 0xFFFF_FFFFL);
        Fields.requireRange("TimeOut", timeOut, 0, 15);
        // DLFrequ is 24 bits in steps of 100 Hz
        Fields.requireRange("DLFrequ (Hz)", dlFrequencyHz, 0, 0xFF_FFFFL * 100);
        if (dlFrequencyHz % 100 != 0) {
            throw new IllegalArgumentException("DLFrequ must be a multiple of 100 Hz, not " + dlFrequencyHz);
        }
        Fields.requireRange("DR", dataRate, 0, 15);
    }

    /**
     * McClassCSessionReq (0x04, downlink): open a Class C window for group {@code groupId} at GPS second
     * {@code sessionTime} for 2^timeOut seconds, on {@code dlFrequencyHz} at data rate {@code dataRate}.
     */
    public record McClassCSessionReq(int groupId, long sessionTime, int timeOut, long dlFrequencyHz, int dataRate)
            implements FuotaCommand {
        public McClassCSessionReq {
            requireGroup(groupId);
            requireSession(sessionTime, timeOut, dlFrequencyHz, dataRate);
        }

        @Override
        public int cid() {
            return 0x04;
        }

        @Override
        public Direction direction() {
            return DOWNLINK;
        }
    }

    /**
     * McClassBSessionReq (0x05, downlink): as Class C, with ping slots every 2^periodicity seconds; the session
     * lasts 2^timeOut beacon periods.
     */
    public record McClassBSessionReq(int groupId, long sessionTime, int timeOut, int periodicity,
            long dlFrequencyHz, int dataRate) implements FuotaCommand {
        public McClassBSessionReq {
            requireGroup(groupId);
            requireSession(sessionTime, timeOut, dlFrequencyHz, dataRate);
            Fields.requireRange("Periodicity", periodicity, 0, 7);
        }

        @Override
        public int cid() {
            return 0x05;
        }

        @Override
        public Direction direction() {
            return DOWNLINK;
        }
    }

    /**
     * The answer to a session request: its errors, or, when there is none, the seconds until the session starts
     * ({@code timeToStart}, null exactly when an error is set). {@code startMissed} (v2.0.0 only) says the session
     * time had passed when the request arrived; it comes with a TimeToStart.
     */
    public record McSessionAns(boolean classB, int groupId, boolean groupUndefined, boolean freqError,
            boolean drError, boolean startMissed, Long timeToStart) implements FuotaCommand {
        public McSessionAns {
            requireGroup(groupId);
            boolean failed = groupUndefined || freqError || drError;
            if (failed && timeToStart != null) {
                throw new IllegalArgumentException("TimeToStart is sent only when the session is accepted");
            }
            if (!failed) {
                if (timeToStart == null) {
                    throw new IllegalArgumentException("an accepted session needs TimeToStart");
                }
                Fields.requireRange("TimeToStart", timeToStart, 0, 0xFF_FFFFL);
            }
        }

        public boolean accepted() {
            return timeToStart != null;
        }

        @Override
        public int cid() {
            return classB ? 0x05 : 0x04;
        }

        @Override
        public Direction direction() {
            return UPLINK;
        }
    }

    private static McGroupStatusAns readStatusAns(FrameReader in) throws FuotaCodecException {
        int status = in.u8();
        int mask = status & 0x0F;
        List<McGroup> groups = new ArrayList<>();
        for (int id = 0; id < MAX_GROUPS; id++) {
            if ((mask & 1 << id) == 0) {
                continue;
            }
            int listed = in.u8();
            if (listed != id) {
                throw new IllegalArgumentException("AnsGroupMask lists group " + id + " in this place, the item "
                        + "says McGroupID " + listed);
            }
            groups.add(new McGroup(id, in.u32()));
        }
        return new McGroupStatusAns(status >> 4 & 0x07, groups);
    }

    private McSessionAns readSessionAns(FrameReader in, boolean classB) throws FuotaCodecException {
        int status = in.u8();
        Long timeToStart = (status & SESSION_ERRORS) == 0 ? Long.valueOf(in.u24()) : null;
        // bit 5 is RFU in v1.0.0
        return new McSessionAns(classB, status & 0x03, (status & 0x10) != 0, (status & 0x08) != 0,
                (status & 0x04) != 0, version == 2 && (status & 0x20) != 0, timeToStart);
    }

    private void writeSessionAns(McSessionAns c, FrameWriter out) {
        if (c.startMissed() && version == 1) {
            throw new IllegalArgumentException("StartMissed is TS005 v2.0.0's; v1.0.0 cannot carry it");
        }
        out.u8((c.startMissed() ? 0x20 : 0) | (c.groupUndefined() ? 0x10 : 0) | (c.freqError() ? 0x08 : 0)
                | (c.drError() ? 0x04 : 0) | c.groupId());
        if (c.accepted()) {
            out.u24(c.timeToStart().intValue());
        }
    }

    private static int sessionAnsLength(byte[] frame, int start) {
        return start < frame.length && (frame[start] & SESSION_ERRORS) != 0 ? 1 : 4;
    }

    private static final MulticastSetup V1 = new MulticastSetup(1);
    private static final MulticastSetup V2 = new MulticastSetup(2);

    /**
     * The codec of TS005 v{@code version}.0.0.
     *
     * @throws IllegalArgumentException for a version other than 1 or 2
     */
    public static MulticastSetup of(int version) {
        return switch (version) {
            case 1 -> V1;
            case 2 -> V2;
            default -> throw new IllegalArgumentException("TS005 version must be 1 (v1.0.0) or 2 (v2.0.0), not "
                    + version);
        };
    }

    private final int version;
    private final CommandSet commands;

    private MulticastSetup(int version) {
        this.version = version;
        this.commands = new CommandSet("TS005 v" + version + ".0.0 multicast setup", PORT, List.of(
            fixed(DOWNLINK, 0x00, "PackageVersionReq", PackageVersionReq.class, 0,
                    in -> new PackageVersionReq(), (c, out) -> { }),
            fixed(UPLINK, 0x00, "PackageVersionAns", PackageVersionAns.class, 2,
                    in -> new PackageVersionAns(in.u8(), in.u8()),
                    (c, out) -> out.u8(c.packageIdentifier()).u8(c.packageVersion())),
            fixed(DOWNLINK, 0x01, "McGroupStatusReq", McGroupStatusReq.class, 1,
                    in -> new McGroupStatusReq(in.u8() & 0x0F), (c, out) -> out.u8(c.reqGroupMask())),
            new CommandSet.Entry<>(UPLINK, 0x01, "McGroupStatusAns", McGroupStatusAns.class,
                    (frame, start) -> start < frame.length ? 1 + 5 * Integer.bitCount(frame[start] & 0x0F) : 1,
                    MulticastSetup::readStatusAns,
                    (c, out) -> {
                        out.u8(c.nbTotalGroups() << 4 | c.ansGroupMask());
                        for (McGroup g : c.groups()) {
                            out.u8(g.groupId()).u32(g.mcAddr());
                        }
                    }),
            fixed(DOWNLINK, 0x02, "McGroupSetupReq", McGroupSetupReq.class, 29,
                    in -> new McGroupSetupReq(in.u8() & 0x03, in.u32(), in.bytes(16), in.u32(), in.u32()),
                    (c, out) -> out.u8(c.groupId()).u32(c.mcAddr()).bytes(c.mcKeyEncrypted()).u32(c.minMcFCount())
                            .u32(c.maxMcFCount())),
            fixed(UPLINK, 0x02, "McGroupSetupAns", McGroupSetupAns.class, 1,
                    in -> {
                        int b = in.u8();
                        return new McGroupSetupAns(b & 0x03, (b & 0x04) != 0);
                    },
                    (c, out) -> out.u8((c.idError() ? 0x04 : 0) | c.groupId())),
            fixed(DOWNLINK, 0x03, "McGroupDeleteReq", McGroupDeleteReq.class, 1,
                    in -> new McGroupDeleteReq(in.u8() & 0x03), (c, out) -> out.u8(c.groupId())),
            fixed(UPLINK, 0x03, "McGroupDeleteAns", McGroupDeleteAns.class, 1,
                    in -> {
                        int b = in.u8();
                        return new McGroupDeleteAns(b & 0x03, (b & 0x04) != 0);
                    },
                    (c, out) -> out.u8((c.groupUndefined() ? 0x04 : 0) | c.groupId())),
            fixed(DOWNLINK, 0x04, "McClassCSessionReq", McClassCSessionReq.class, 10,
                    in -> new McClassCSessionReq(in.u8() & 0x03, in.u32(), in.u8() & 0x0F, in.u24() * 100L,
                            in.u8()),
                    (c, out) -> out.u8(c.groupId()).u32(c.sessionTime()).u8(c.timeOut())
                            .u24((int) (c.dlFrequencyHz() / 100)).u8(c.dataRate())),
            new CommandSet.Entry<>(UPLINK, 0x04, "McClassCSessionAns", McSessionAns.class,
                    MulticastSetup::sessionAnsLength, in -> readSessionAns(in, false),
                    this::writeSessionAns),
            fixed(DOWNLINK, 0x05, "McClassBSessionReq", McClassBSessionReq.class, 10,
                    in -> {
                        int group = in.u8() & 0x03;
                        long time = in.u32();
                        int timing = in.u8();
                        return new McClassBSessionReq(group, time, timing & 0x0F, timing >> 4 & 0x07,
                                in.u24() * 100L, in.u8());
                    },
                    (c, out) -> out.u8(c.groupId()).u32(c.sessionTime()).u8(c.periodicity() << 4 | c.timeOut())
                            .u24((int) (c.dlFrequencyHz() / 100)).u8(c.dataRate())),
            new CommandSet.Entry<>(UPLINK, 0x05, "McClassBSessionAns", McSessionAns.class,
                    MulticastSetup::sessionAnsLength, in -> readSessionAns(in, true),
                    this::writeSessionAns)));
    }

    public int version() {
        return version;
    }

    /** The PackageVersionAns a device of this version sends. */
    public PackageVersionAns packageVersion() {
        return new PackageVersionAns(PACKAGE_IDENTIFIER, version);
    }

    /** Every command of a frame received on port 200, in order. */
    public List<FuotaCommand> decode(Direction direction, byte[] frame) throws FuotaCodecException {
        return commands.decode(direction, frame);
    }

    /**
     * One frame for port 200 carrying {@code commands}, all travelling the same way.
     *
     * @throws IllegalArgumentException for a command or field this version does not have
     */
    public byte[] encode(List<? extends FuotaCommand> list) {
        return commands.encode(list);
    }

    public byte[] encode(FuotaCommand command) {
        return commands.encode(List.of(command));
    }
}
