package org.updraft.transport.lorawan.internal.fuota;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.AppTimeAns;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.AppTimeReq;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.DeviceAppTimePeriodicityAns;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.DeviceAppTimePeriodicityReq;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.ForceDeviceResyncReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.BlockIntegrity;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataBlockReceivedAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataBlockReceivedReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataFragment;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionDeleteAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionDeleteReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McClassBSessionReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McClassCSessionReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroup;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupDeleteAns;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupDeleteReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupSetupAns;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupSetupReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupStatusAns;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupStatusReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McSessionAns;

/**
 * Every command of TS003, TS004 (both versions) and TS005: its bytes as the specifications lay them out (fields
 * little-endian, bit fields where the specifications put them), decoding them back, and the errors of malformed
 * frames.
 */
class FuotaCodecsTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final Fragmentation V1 = Fragmentation.of(Ts004Version.V1_0_0);
    private static final Fragmentation V2 = Fragmentation.of(Ts004Version.V2_0_0);
    private static final byte[] KEY = HEX.parseHex("0102030405060708090a0b0c0d0e0f10");

    interface Codec {
        List<FuotaCommand> decode(Direction d, byte[] frame) throws FuotaCodecException;

        byte[] encode(FuotaCommand c);
    }

    private static final Codec CLOCK = new Codec() {
        public List<FuotaCommand> decode(Direction d, byte[] f) throws FuotaCodecException {
            return ClockSync.decode(d, f);
        }

        public byte[] encode(FuotaCommand c) {
            return ClockSync.encode(c);
        }
    };
    private static final Codec MULTICAST = multicast(MulticastSetup.of(1));

    private static Codec multicast(MulticastSetup m) {
        return new Codec() {
            public List<FuotaCommand> decode(Direction d, byte[] f) throws FuotaCodecException {
                return m.decode(d, f);
            }

            public byte[] encode(FuotaCommand c) {
                return m.encode(c);
            }
        };
    }

    private static Codec fragmentation(Fragmentation f) {
        return new Codec() {
            public List<FuotaCommand> decode(Direction d, byte[] frame) throws FuotaCodecException {
                return f.decode(d, frame);
            }

            public byte[] encode(FuotaCommand c) {
                return f.encode(c);
            }
        };
    }

    /** The command encodes to {@code hex} and {@code hex} decodes to the command. */
    private static void assertBytes(Codec codec, FuotaCommand command, String hex) throws FuotaCodecException {
        assertEquals(hex, HEX.formatHex(codec.encode(command)), command.toString());
        assertEquals(List.of(command), codec.decode(command.direction(), HEX.parseHex(hex)));
    }

    @Test
    void clockSyncCommands() throws Exception {
        assertBytes(CLOCK, new PackageVersionReq(), "00");
        assertBytes(CLOCK, new PackageVersionAns(ClockSync.PACKAGE_IDENTIFIER, ClockSync.PACKAGE_VERSION), "000101");
        assertBytes(CLOCK, new AppTimeReq(0x12345678L, true, 3), "017856341213");
        assertBytes(CLOCK, new AppTimeReq(0xFFFFFFFFL, false, 15), "01ffffffff0f");
        assertBytes(CLOCK, new AppTimeAns(-2, 3), "01feffffff03");
        assertBytes(CLOCK, new DeviceAppTimePeriodicityReq(9), "0209");
        assertBytes(CLOCK, new DeviceAppTimePeriodicityAns(true, 0x01020304L), "020104030201");
        assertBytes(CLOCK, new ForceDeviceResyncReq(7), "0307");
    }

    @Test
    void multicastSetupCommands() throws Exception {
        assertBytes(MULTICAST, MulticastSetup.of(1).packageVersion(), "000201");
        assertBytes(MULTICAST, new McGroupStatusReq(0b0101), "0105");
        assertBytes(MULTICAST, new McGroupStatusAns(4, List.of(new McGroup(0, 0x01020304L), new McGroup(2, 0xAABBCCDDL))),
                "014500040302010" + "2ddccbbaa");
        assertBytes(MULTICAST, new McGroupStatusAns(1, List.of()), "0110");
        assertBytes(MULTICAST, new McGroupSetupReq(1, 0x01020304L, KEY, 0, 0xFFFF),
                "020104030201" + "0102030405060708090a0b0c0d0e0f10" + "00000000" + "ffff0000");
        assertBytes(MULTICAST, new McGroupSetupAns(3, true), "0207");
        assertBytes(MULTICAST, new McGroupDeleteReq(2), "0302");
        assertBytes(MULTICAST, new McGroupDeleteAns(2, true), "0306");
        // 869.525 MHz = 8695250 x 100 Hz = 0x84ADD2
        assertBytes(MULTICAST, new McClassCSessionReq(0, 0x11223344L, 7, 869_525_000L, 3), "04004433221107" + "d2ad84" + "03");
        assertBytes(MULTICAST, new McClassBSessionReq(1, 0x11223344L, 7, 5, 869_525_000L, 3),
                "05014433221157" + "d2ad84" + "03");
        assertBytes(MULTICAST, new McSessionAns(false, 1, false, false, false, false, 0x000102L), "0401020100");
        assertBytes(MULTICAST, new McSessionAns(false, 1, false, true, true, false, null), "040d");
        assertBytes(MULTICAST, new McSessionAns(true, 0, true, false, false, false, null), "0510");
        assertBytes(MULTICAST, new McSessionAns(true, 0, false, false, false, false, 60L), "05003c0000");
    }

    @Test
    void multicastSetupV2AddsStartMissed() throws Exception {
        Codec v2 = multicast(MulticastSetup.of(2));
        assertBytes(v2, MulticastSetup.of(2).packageVersion(), "000202");
        // the start was missed, the session still runs: TimeToStart follows
        assertBytes(v2, new McSessionAns(false, 1, false, false, false, true, 0L), "0421000000");
        assertBytes(v2, new McSessionAns(true, 2, true, false, false, true, null), "0532");
        // every other command as in v1.0.0
        assertBytes(v2, new McClassCSessionReq(0, 0x11223344L, 7, 869_525_000L, 3), "0400443322110" + "7d2ad8403");
        // v1.0.0 reads the bit as RFU and cannot write it
        assertEquals(List.of(new McSessionAns(false, 1, false, false, false, false, 0L)),
                MULTICAST.decode(Direction.UPLINK, HEX.parseHex("0421000000")));
        assertThrows(IllegalArgumentException.class,
                () -> MulticastSetup.of(1).encode(new McSessionAns(false, 1, false, false, false, true, 0L)));
        assertThrows(IllegalArgumentException.class, () -> MulticastSetup.of(3));
    }

    @Test
    void fragmentationCommandsV1() throws Exception {
        Codec v1 = fragmentation(V1);
        assertBytes(v1, V1.packageVersion(), "000301");
        assertBytes(v1, new FragSessionStatusReq(2, true), "0105");
        assertBytes(v1, new FragSessionStatusAns(1, 300, 7, true, false, false), "012c410701");
        assertBytes(v1, new FragSessionSetupReq(0, 1, 20, 50, 0, 1, false, 5, 0x01020304L, null),
                "0201140032010504030201");
        assertBytes(v1, new FragSessionSetupAns(3, false, true, false, true, false), "02ca");
        assertBytes(v1, new FragSessionDeleteReq(3), "0303");
        assertBytes(v1, new FragSessionDeleteAns(1, true), "0305");
        assertBytes(v1, new DataFragment(1, 3, HEX.parseHex("abcd")), "080340abcd");
        assertBytes(v1, new DataFragment(0, Fragmentation.MAX_FRAGMENTS, HEX.parseHex("00")), "08ff3f00");
    }

    @Test
    void fragmentationCommandsV2() throws Exception {
        Codec v2 = fragmentation(V2);
        assertBytes(v2, V2.packageVersion(), "000302");
        // v2.0.0 as LoRa Basics Modem lays it out: status first
        assertBytes(v2, new FragSessionStatusAns(1, 300, 7, false, true, true), "01062c4107");
        assertBytes(v2, new FragSessionSetupReq(1, 1, 20, 50, 0, 1, true, 5, 0x01020304L, new BlockIntegrity(2, 0xA1B2C3D4L)),
                "021114003241050403020102" + "00d4c3b2a1");
        assertBytes(v2, new FragSessionSetupAns(0, false, false, false, false, true), "0210");
        assertBytes(v2, new DataBlockReceivedReq(2, true), "0406");
        assertBytes(v2, new DataBlockReceivedAns(2), "0402");
        assertBytes(v2, new DataFragment(0, 1, HEX.parseHex("ff")), "080100ff");
    }

    @Test
    void framesCarrySeveralCommands() throws Exception {
        byte[] frame = MulticastSetup.of(1).encode(List.of(new McGroupSetupReq(0, 1, KEY, 0, 10), new McClassCSessionReq(0, 100, 8, 869_525_000L, 5)));
        assertEquals(1 + 29 + 1 + 10, frame.length);
        List<FuotaCommand> commands = MulticastSetup.of(1).decode(Direction.DOWNLINK, frame);
        assertEquals(2, commands.size());
        assertTrue(commands.get(1) instanceof McClassCSessionReq);
        // an accepted and a refused session answer in one uplink: 4 + 1 bytes after their CIDs
        assertEquals(2, MulticastSetup.of(1).decode(Direction.UPLINK, HEX.parseHex("04003c0000" + "0510")).size());
        assertEquals(List.of(new PackageVersionReq(), new FragSessionStatusReq(0, true)),
                V1.decode(Direction.DOWNLINK, HEX.parseHex("000101")));
    }

    private static String error(Codec codec, Direction d, String hex) {
        return assertThrows(FuotaCodecException.class, () -> codec.decode(d, HEX.parseHex(hex))).getMessage();
    }

    @Test
    void malformedFramesAreRefusedNamingTheFault() {
        assertEquals("TS003 clock sync uplink on port 202: empty frame", error(CLOCK, Direction.UPLINK, ""));
        assertEquals("TS003 clock sync uplink on port 202: unknown CID 0x03 at byte 0", error(CLOCK, Direction.UPLINK, "03"));
        assertEquals("TS003 clock sync uplink on port 202: AppTimeReq at byte 0 needs 5 bytes after its CID, only 3 left",
                error(CLOCK, Direction.UPLINK, "01000000"));
        assertEquals("TS005 v1.0.0 multicast setup downlink on port 200: unknown CID 0x07 at byte 30",
                error(MULTICAST, Direction.DOWNLINK, "0200" + "00".repeat(28) + "07"));
        // maxMcFCount below minMcFCount
        assertTrue(error(MULTICAST, Direction.DOWNLINK, "0200" + "00".repeat(20) + "0a000000" + "01000000")
                .contains("McGroupSetupReq at byte 0: maxMcFCount must be 10 to 4294967295, not 1"));
        // AnsGroupMask says groups 0 and 1, the items say 0 and 3
        assertTrue(error(MULTICAST, Direction.UPLINK, "0123" + "0001000000" + "0301000000")
                .contains("AnsGroupMask lists group 1 in this place, the item says McGroupID 3"));
        assertTrue(error(MULTICAST, Direction.UPLINK, "0150").contains("NbTotalGroups must be 0 to 4, not 5"));
        assertTrue(error(MULTICAST, Direction.UPLINK, "0400").contains("McClassCSessionAns at byte 0 needs 4 bytes"));
        // DataBlockReceived is v2's
        assertEquals("TS004 v1.0.0 fragmentation uplink on port 201: unknown CID 0x04 at byte 0",
                error(fragmentation(V1), Direction.UPLINK, "0400"));
        assertTrue(error(fragmentation(V1), Direction.DOWNLINK, "000801000a").contains(
                "DataFragment must be the only command of its frame, but follows another at byte 1"));
        assertTrue(error(fragmentation(V1), Direction.DOWNLINK, "080100").contains("carries no data"));
        assertTrue(error(fragmentation(V1), Direction.DOWNLINK, "080000ff").contains("N must be 1 to 16383, not 0"));
        assertTrue(error(fragmentation(V2), Direction.DOWNLINK, "0201140032010504030201")
                .contains("FragSessionSetupReq at byte 0 needs 16 bytes after its CID, only 10 left"));
        assertTrue(error(fragmentation(V1), Direction.DOWNLINK, "0201000032010504030201")
                .contains("NbFrag must be 1 to 16383, not 0"));
        assertTrue(error(fragmentation(V1), Direction.DOWNLINK, "0201140032013204030201")
                .contains("Padding must be 0 to 49, not 50"));
    }

    @Test
    void commandsAVersionOrPackageDoesNotHaveAreNotEncoded() {
        assertThrows(IllegalArgumentException.class, () -> V1.encode(new DataBlockReceivedAns(0)));
        assertThrows(IllegalArgumentException.class, () -> V1.encode(new FragSessionSetupReq(0, 1, 20, 50, 0, 1, false, 5, 0, new BlockIntegrity(1, 2))));
        assertThrows(IllegalArgumentException.class, () -> V2.encode(new FragSessionSetupReq(0, 1, 20, 50, 0, 1, false, 5, 0, null)));
        assertThrows(IllegalArgumentException.class, () -> V1.encode(new FragSessionStatusAns(0, 1, 0, false, true, false)));
        assertThrows(IllegalArgumentException.class, () -> ClockSync.encode(new McGroupDeleteReq(0)));
        assertThrows(IllegalArgumentException.class, () -> MulticastSetup.of(1).encode(List.of(new McGroupDeleteReq(0), new McGroupDeleteAns(0, false))));
        assertThrows(IllegalArgumentException.class, () -> V1.encode(List.of(new FragSessionDeleteReq(0), new DataFragment(0, 1, new byte[1]))));
        assertThrows(IllegalArgumentException.class, () -> new McClassCSessionReq(0, 0, 0, 869_525_050L, 0));
        assertThrows(IllegalArgumentException.class, () -> new McSessionAns(false, 0, true, false, false, false, 5L));
        assertThrows(IllegalArgumentException.class, () -> new AppTimeReq(-1, false, 0));
    }

    @Test
    void keyMaterialStaysOutOfToString() {
        String text = new McGroupSetupReq(0, 1, KEY, 0, 1).toString();
        assertFalse(text.contains("0102030405"), text);
        assertFalse(text.contains(String.valueOf(KEY[0])) && text.contains("[B@"), text);
    }

    @Test
    void recordsKeepTheirOwnCopyOfBytes() {
        byte[] payload = {1, 2, 3};
        DataFragment f = new DataFragment(0, 1, payload);
        payload[0] = 9;
        f.payload()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, f.payload());
    }
}
