package org.updraft.transport.lorawan.internal.fuota;

import static org.updraft.transport.lorawan.internal.fuota.CommandSet.Entry.fixed;
import static org.updraft.transport.lorawan.internal.fuota.Direction.DOWNLINK;
import static org.updraft.transport.lorawan.internal.fuota.Direction.UPLINK;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * TS004, fragmented data block transport, port 201, in v1.0.0 and v2.0.0: a session (up to four at once, by
 * FragIndex) carries a data block as NbFrag fragments of FragSize bytes plus redundancy, which the FEC in
 * {@code internal.fec} makes and rebuilds. Each version has its codec, {@link #of(Ts004Version)}.
 *
 * <p>v2.0.0's FragSessionStatusAns puts its status byte before ReceivedAndIndex, as LoRa Basics Modem v4.8.0
 * (Semtech's v2.0.0 implementation, whose FEC the fixtures come from) and ChirpStack's lrwn both do.
 */
public final class Fragmentation {

    public static final int PORT = 201;
    public static final int PACKAGE_IDENTIFIER = 3;

    /** The fragment counter N and NbFrag are 14 bits. */
    public static final int MAX_FRAGMENTS = 0x3FFF;

    private static void requireIndex(int fragIndex) {
        Fields.requireRange("FragIndex", fragIndex, 0, 3);
    }

    /** FragSessionStatusReq (0x01, downlink): report session {@code fragIndex}; all devices or only the missing. */
    public record FragSessionStatusReq(int fragIndex, boolean allParticipants) implements FuotaCommand {
        public FragSessionStatusReq {
            requireIndex(fragIndex);
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

    /**
     * FragSessionStatusAns (0x01, uplink): fragments received and fragments still missing in session
     * {@code fragIndex}. {@code micError} (the rebuilt block's MIC is wrong) and {@code sessionDoesNotExist} are
     * v2.0.0's; in v1.0.0 they are always false.
     */
    public record FragSessionStatusAns(int fragIndex, int nbFragReceived, int missingFrag,
            boolean notEnoughMatrixMemory, boolean micError, boolean sessionDoesNotExist) implements FuotaCommand {
        public FragSessionStatusAns {
            requireIndex(fragIndex);
            Fields.requireRange("NbFragReceived", nbFragReceived, 0, MAX_FRAGMENTS);
            Fields.requireRange("MissingFrag", missingFrag, 0, 0xFF);
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

    /** What TS004 v2.0.0 adds to a session: its counter (replays refused) and the data block's MIC. */
    public record BlockIntegrity(int sessionCnt, long mic) {
        public BlockIntegrity {
            Fields.requireRange("SessionCnt", sessionCnt, 0, 0xFFFF);
            Fields.requireRange("MIC", mic, 0, 0xFFFF_FFFFL);
        }
    }

    /**
     * FragSessionSetupReq (0x02, downlink): session {@code fragIndex} on the multicast groups of
     * {@code mcGroupBitMask} (0: unicast), {@code nbFrag} fragments of {@code fragSize} bytes, the last
     * {@code padding} bytes of the block being padding. {@code fragAlgo} is 0, the only FEC defined;
     * {@code blockAckDelay} spreads the answers over 2^(delay+4) seconds. {@code ackReception} and
     * {@code integrity} are v2.0.0's (false and null in v1.0.0).
     */
    public record FragSessionSetupReq(int fragIndex, int mcGroupBitMask, int nbFrag, int fragSize, int fragAlgo,
            int blockAckDelay, boolean ackReception, int padding, long descriptor, BlockIntegrity integrity)
            implements FuotaCommand {
        public FragSessionSetupReq {
            requireIndex(fragIndex);
            Fields.requireRange("McGroupBitMask", mcGroupBitMask, 0, 15);
            Fields.requireRange("NbFrag", nbFrag, 1, MAX_FRAGMENTS);
            Fields.requireRange("FragSize", fragSize, 1, 0xFF);
            Fields.requireRange("FragAlgo", fragAlgo, 0, 7);
            Fields.requireRange("BlockAckDelay", blockAckDelay, 0, 7);
            // padding lies in the last fragment
            Fields.requireRange("Padding", padding, 0, fragSize - 1);
            Fields.requireRange("Descriptor", descriptor, 0, 0xFFFF_FFFFL);
        }

        /** The data block's size: the fragments less the padding. */
        public long blockSize() {
            return (long) nbFrag * fragSize - padding;
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

    /** FragSessionSetupAns (0x02, uplink): why the device refused the session, if it did. */
    public record FragSessionSetupAns(int fragIndex, boolean encodingUnsupported, boolean notEnoughMemory,
            boolean fragIndexNotSupported, boolean wrongDescriptor, boolean sessionCntReplay)
            implements FuotaCommand {
        public FragSessionSetupAns {
            requireIndex(fragIndex);
        }

        public boolean accepted() {
            return !(encodingUnsupported || notEnoughMemory || fragIndexNotSupported || wrongDescriptor
                    || sessionCntReplay);
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

    /** FragSessionDeleteReq (0x03, downlink). */
    public record FragSessionDeleteReq(int fragIndex) implements FuotaCommand {
        public FragSessionDeleteReq {
            requireIndex(fragIndex);
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

    /** FragSessionDeleteAns (0x03, uplink). */
    public record FragSessionDeleteAns(int fragIndex, boolean sessionDoesNotExist) implements FuotaCommand {
        public FragSessionDeleteAns {
            requireIndex(fragIndex);
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

    /** DataBlockReceivedReq (0x04, uplink, v2.0.0): the device rebuilt session {@code fragIndex}'s block. */
    public record DataBlockReceivedReq(int fragIndex, boolean micError) implements FuotaCommand {
        public DataBlockReceivedReq {
            requireIndex(fragIndex);
        }

        @Override
        public int cid() {
            return 0x04;
        }

        @Override
        public Direction direction() {
            return UPLINK;
        }
    }

    /** DataBlockReceivedAns (0x04, downlink, v2.0.0): the server heard DataBlockReceivedReq. */
    public record DataBlockReceivedAns(int fragIndex) implements FuotaCommand {
        public DataBlockReceivedAns {
            requireIndex(fragIndex);
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
     * DataFragment (0x08, downlink): fragment {@code counter} (1-based; above NbFrag a coded one) of session
     * {@code fragIndex}. It is the only command of its frame.
     */
    public record DataFragment(int fragIndex, int counter, byte[] payload) implements FuotaCommand {
        public DataFragment {
            requireIndex(fragIndex);
            Fields.requireRange("N", counter, 1, MAX_FRAGMENTS);
            if (payload == null || payload.length == 0) {
                throw new IllegalArgumentException("a DataFragment carries at least one byte");
            }
            payload = payload.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DataFragment f && f.fragIndex == fragIndex && f.counter == counter
                    && Arrays.equals(f.payload, payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(fragIndex, counter, Arrays.hashCode(payload));
        }

        @Override
        public String toString() {
            return "DataFragment[fragIndex=" + fragIndex + ", counter=" + counter + ", " + payload.length + " bytes]";
        }

        @Override
        public int cid() {
            return 0x08;
        }

        @Override
        public Direction direction() {
            return DOWNLINK;
        }
    }

    private static final Fragmentation V1 = new Fragmentation(Ts004Version.V1_0_0);
    private static final Fragmentation V2 = new Fragmentation(Ts004Version.V2_0_0);

    /** The codec of one version. */
    public static Fragmentation of(Ts004Version version) {
        return version == Ts004Version.V1_0_0 ? V1 : V2;
    }

    private final Ts004Version version;
    private final CommandSet commands;

    private Fragmentation(Ts004Version version) {
        this.version = version;
        boolean v2 = version == Ts004Version.V2_0_0;
        List<CommandSet.Entry<?>> entries = new ArrayList<>(List.of(
                fixed(DOWNLINK, 0x00, "PackageVersionReq", PackageVersionReq.class, 0,
                        in -> new PackageVersionReq(), (c, out) -> { }),
                fixed(UPLINK, 0x00, "PackageVersionAns", PackageVersionAns.class, 2,
                        in -> new PackageVersionAns(in.u8(), in.u8()),
                        (c, out) -> out.u8(c.packageIdentifier()).u8(c.packageVersion())),
                fixed(DOWNLINK, 0x01, "FragSessionStatusReq", FragSessionStatusReq.class, 1,
                        in -> {
                            int b = in.u8();
                            return new FragSessionStatusReq(b >> 1 & 0x03, (b & 0x01) != 0);
                        },
                        (c, out) -> out.u8(c.fragIndex() << 1 | (c.allParticipants() ? 1 : 0))),
                fixed(UPLINK, 0x01, "FragSessionStatusAns", FragSessionStatusAns.class, 4,
                        v2 ? Fragmentation::readStatusAnsV2 : Fragmentation::readStatusAnsV1,
                        v2 ? Fragmentation::writeStatusAnsV2 : this::writeStatusAnsV1),
                fixed(DOWNLINK, 0x02, "FragSessionSetupReq", FragSessionSetupReq.class, v2 ? 16 : 10,
                        in -> readSetupReq(in, v2), this::writeSetupReq),
                fixed(UPLINK, 0x02, "FragSessionSetupAns", FragSessionSetupAns.class, 1,
                        in -> {
                            int b = in.u8();
                            return new FragSessionSetupAns(b >> 6, (b & 0x01) != 0, (b & 0x02) != 0,
                                    (b & 0x04) != 0, (b & 0x08) != 0, v2 && (b & 0x10) != 0);
                        },
                        this::writeSetupAns),
                fixed(DOWNLINK, 0x03, "FragSessionDeleteReq", FragSessionDeleteReq.class, 1,
                        in -> new FragSessionDeleteReq(in.u8() & 0x03), (c, out) -> out.u8(c.fragIndex())),
                fixed(UPLINK, 0x03, "FragSessionDeleteAns", FragSessionDeleteAns.class, 1,
                        in -> {
                            int b = in.u8();
                            return new FragSessionDeleteAns(b & 0x03, (b & 0x04) != 0);
                        },
                        (c, out) -> out.u8((c.sessionDoesNotExist() ? 0x04 : 0) | c.fragIndex())),
                CommandSet.Entry.alone(DOWNLINK, 0x08, "DataFragment", DataFragment.class,
                        in -> {
                            int indexAndN = in.u16();
                            if (in.remaining() == 0) {
                                throw new FuotaCodecException("TS004 DataFragment " + (indexAndN & MAX_FRAGMENTS)
                                        + " carries no data");
                            }
                            return new DataFragment(indexAndN >> 14, indexAndN & MAX_FRAGMENTS, in.rest());
                        },
                        (c, out) -> out.u16(c.fragIndex() << 14 | c.counter()).bytes(c.payload))));
        if (v2) {
            entries.add(fixed(UPLINK, 0x04, "DataBlockReceivedReq", DataBlockReceivedReq.class, 1,
                    in -> {
                        int b = in.u8();
                        return new DataBlockReceivedReq(b & 0x03, (b & 0x04) != 0);
                    },
                    (c, out) -> out.u8((c.micError() ? 0x04 : 0) | c.fragIndex())));
            entries.add(fixed(DOWNLINK, 0x04, "DataBlockReceivedAns", DataBlockReceivedAns.class, 1,
                    in -> new DataBlockReceivedAns(in.u8() & 0x03), (c, out) -> out.u8(c.fragIndex())));
        }
        this.commands = new CommandSet("TS004 " + version + " fragmentation", PORT, entries);
    }

    public Ts004Version version() {
        return version;
    }

    /** The PackageVersionAns a device of this version sends. */
    public PackageVersionAns packageVersion() {
        return new PackageVersionAns(PACKAGE_IDENTIFIER, version.packageVersion());
    }

    /** Every command of a frame received on port 201, in order. */
    public List<FuotaCommand> decode(Direction direction, byte[] frame) throws FuotaCodecException {
        return commands.decode(direction, frame);
    }

    /**
     * One frame for port 201 carrying {@code commands}, all travelling the same way.
     *
     * @throws IllegalArgumentException for a command or field this version does not have
     */
    public byte[] encode(List<? extends FuotaCommand> list) {
        return commands.encode(list);
    }

    public byte[] encode(FuotaCommand command) {
        return commands.encode(List.of(command));
    }

    private void requireV1Only(boolean v2Field, String what) {
        if (v2Field && version == Ts004Version.V1_0_0) {
            throw new IllegalArgumentException(what + " is TS004 v2.0.0's; v1.0.0 cannot carry it");
        }
    }

    private static FragSessionStatusAns readStatusAnsV1(FrameReader in) throws FuotaCodecException {
        int receivedAndIndex = in.u16();
        int missing = in.u8();
        int status = in.u8();
        return new FragSessionStatusAns(receivedAndIndex >> 14, receivedAndIndex & MAX_FRAGMENTS, missing,
                (status & 0x01) != 0, false, false);
    }

    private void writeStatusAnsV1(FragSessionStatusAns c, FrameWriter out) {
        requireV1Only(c.micError(), "MIC error");
        requireV1Only(c.sessionDoesNotExist(), "SessionDoesNotExist in FragSessionStatusAns");
        out.u16(c.fragIndex() << 14 | c.nbFragReceived()).u8(c.missingFrag()).u8(c.notEnoughMatrixMemory() ? 1 : 0);
    }

    private static FragSessionStatusAns readStatusAnsV2(FrameReader in) throws FuotaCodecException {
        int status = in.u8();
        int receivedAndIndex = in.u16();
        int missing = in.u8();
        return new FragSessionStatusAns(receivedAndIndex >> 14, receivedAndIndex & MAX_FRAGMENTS, missing,
                (status & 0x01) != 0, (status & 0x02) != 0, (status & 0x04) != 0);
    }

    private static void writeStatusAnsV2(FragSessionStatusAns c, FrameWriter out) {
        out.u8((c.notEnoughMatrixMemory() ? 0x01 : 0) | (c.micError() ? 0x02 : 0)
                | (c.sessionDoesNotExist() ? 0x04 : 0));
        out.u16(c.fragIndex() << 14 | c.nbFragReceived()).u8(c.missingFrag());
    }

    private static FragSessionSetupReq readSetupReq(FrameReader in, boolean v2) throws FuotaCodecException {
        int session = in.u8();
        int nbFrag = in.u16();
        int fragSize = in.u8();
        int control = in.u8();
        int padding = in.u8();
        long descriptor = in.u32();
        BlockIntegrity integrity = v2 ? new BlockIntegrity(in.u16(), in.u32()) : null;
        return new FragSessionSetupReq(session >> 4 & 0x03, session & 0x0F, nbFrag, fragSize, control >> 3 & 0x07,
                control & 0x07, v2 && (control & 0x40) != 0, padding, descriptor, integrity);
    }

    private void writeSetupReq(FragSessionSetupReq c, FrameWriter out) {
        boolean v2 = version == Ts004Version.V2_0_0;
        requireV1Only(c.ackReception(), "AckReception");
        requireV1Only(c.integrity() != null, "SessionCnt and MIC");
        if (v2 && c.integrity() == null) {
            throw new IllegalArgumentException("a TS004 v2.0.0 FragSessionSetupReq needs SessionCnt and MIC");
        }
        out.u8(c.fragIndex() << 4 | c.mcGroupBitMask()).u16(c.nbFrag()).u8(c.fragSize())
                .u8((c.ackReception() ? 0x40 : 0) | c.fragAlgo() << 3 | c.blockAckDelay()).u8(c.padding())
                .u32(c.descriptor());
        if (v2) {
            out.u16(c.integrity().sessionCnt()).u32(c.integrity().mic());
        }
    }

    private void writeSetupAns(FragSessionSetupAns c, FrameWriter out) {
        requireV1Only(c.sessionCntReplay(), "SessionCnt replay");
        out.u8(c.fragIndex() << 6 | (c.sessionCntReplay() ? 0x10 : 0) | (c.wrongDescriptor() ? 0x08 : 0)
                | (c.fragIndexNotSupported() ? 0x04 : 0) | (c.notEnoughMemory() ? 0x02 : 0)
                | (c.encodingUnsupported() ? 0x01 : 0));
    }
}
