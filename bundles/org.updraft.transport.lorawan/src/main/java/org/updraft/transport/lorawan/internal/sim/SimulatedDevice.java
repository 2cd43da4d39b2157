package org.updraft.transport.lorawan.internal.sim;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

import org.updraft.transport.lorawan.internal.fec.FragmentDecoder;
import org.updraft.transport.lorawan.internal.fuota.ClockSync;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.AppTimeAns;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.AppTimeReq;
import org.updraft.transport.lorawan.internal.fuota.ClockSync.ForceDeviceResyncReq;
import org.updraft.transport.lorawan.internal.fuota.Direction;
import org.updraft.transport.lorawan.internal.fuota.DataBlockMic;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataBlockReceivedReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataFragment;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupReq;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusAns;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionStatusReq;
import org.updraft.transport.lorawan.internal.fuota.FuotaCodecException;
import org.updraft.transport.lorawan.internal.fuota.FuotaCommand;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McClassCSessionReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupSetupAns;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McGroupSetupReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup.McSessionAns;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.multicast.McKeys;
import org.updraft.transport.lorawan.internal.session.GpsTime;

/**
 * A LoRaWAN end device running the FUOTA packages as firmware would: it answers clock, multicast and
 * fragmentation requests, listens to its multicast group only while its Class C window is open by its own clock
 * (so a device whose clock is off misses the start), rebuilds the block with the bundle's FEC decoder and checks
 * the rebuilt block's SHA-256 against the digest it was told to expect, or hands the block to its {@link Firmware},
 * which verifies and installs it and says what to send (its signed report). Its clock starts {@code clockOffset} off
 * GPS time.
 *
 * <p>It runs TS004 v1.0.0 unless {@link #runTs004V2} gives it a DataBlockIntKey: then it refuses a session setup
 * whose SessionCnt is not above the last it accepted, rebuilds with v2.0.0's FEC rows, checks the rebuilt block's
 * MIC with its own key before anything else sees the block, and reports a MIC error (DataBlockReceivedReq and status
 * answers) instead of handing over a block whose MIC is wrong.
 */
public final class SimulatedDevice {

    /** An uplink the device sends at {@code at}. */
    public record Sent(Instant at, int fPort, byte[] frame) {
    }

    /** What runs on the device once a data block is rebuilt: it verifies the block, installs it or not, and reports. */
    @FunctionalInterface
    public interface Firmware {
        /**
         * @param block the rebuilt data block, padding removed
         * @param at when the last fragment arrived
         * @return the uplinks to send, with when
         */
        List<Sent> rebuilt(byte[] block, Instant at);
    }

    private final String devEui;
    private final byte[] expectedDigest;
    private final Firmware firmware;
    private final Random random;
    private final int maxBlockBytes;
    private final MulticastSetup ts005 = MulticastSetup.of(1);
    private Fragmentation ts004 = Fragmentation.of(Ts004Version.V1_0_0);
    // TS004 v2.0.0: its key, the last SessionCnt it accepted (-1: none yet), and whether the rebuilt block's MIC was
    // wrong (volatile: a fleet's test reads them while the radio's thread runs the device)
    private byte[] dataBlockIntKey;
    private volatile int lastSessionCnt = -1;
    private volatile boolean micError;
    private volatile boolean micChecked;
    private Duration clockOffset;
    private long fCnt;
    // multicast group 0..3: address, or -1
    private final long[] groupAddr = {-1, -1, -1, -1};
    // the session keys each group's McGroupSetupReq gave it, derived from its McRootKey as TS005 says; null without
    private final McKeys.SessionKeys[] groupKeys = new McKeys.SessionKeys[4];
    private byte[] mcRootKey;
    private Instant windowOpens;
    private Instant windowCloses;
    // the start its last McClassCSessionReq gave, in true time (its clock may put windowOpens elsewhere)
    private Instant sessionStart;
    private long windowAddr = -1;
    private FragSessionSetupReq session;
    private FragmentDecoder decoder;
    private byte[] block;
    private boolean verified;
    private int fragmentsHeard;
    private int fragmentsMissedClosed;
    private int fragmentsBeforeStart;

    /**
     * @param maxBlockBytes the largest block its flash can take: a bigger session is refused (not enough memory)
     */
    public SimulatedDevice(String devEui, byte[] expectedDigest, Duration clockOffset, int maxBlockBytes,
            Random random) {
        this(devEui, expectedDigest.clone(), null, clockOffset, maxBlockBytes, random);
    }

    /** A device whose {@code firmware} takes the rebuilt block; {@link #verified()} then stays false. */
    public SimulatedDevice(String devEui, Firmware firmware, Duration clockOffset, int maxBlockBytes, Random random) {
        this(devEui, null, Objects.requireNonNull(firmware, "firmware"), clockOffset, maxBlockBytes, random);
    }

    private SimulatedDevice(String devEui, byte[] expectedDigest, Firmware firmware, Duration clockOffset,
            int maxBlockBytes, Random random) {
        this.devEui = devEui;
        this.expectedDigest = expectedDigest;
        this.firmware = firmware;
        this.clockOffset = clockOffset;
        this.maxBlockBytes = maxBlockBytes;
        this.random = random;
    }

    /**
     * Makes this device run TS004 v2.0.0 with {@code key} as its DataBlockIntKey; {@code lastSessionCnt} is the last
     * SessionCnt it accepted before (-1 for none).
     */
    public SimulatedDevice runTs004V2(byte[] key, int lastSessionCnt) {
        if (key == null || key.length != 16) {
            throw new IllegalArgumentException("DataBlockIntKey is 16 bytes");
        }
        this.dataBlockIntKey = key.clone();
        this.lastSessionCnt = lastSessionCnt;
        this.ts004 = Fragmentation.of(Ts004Version.V2_0_0);
        return this;
    }

    /** The TS004 version it runs. */
    public Ts004Version ts004Version() {
        return ts004.version();
    }

    /** The last SessionCnt it accepted (TS004 v2.0.0), -1 for none. */
    public int lastSessionCnt() {
        return lastSessionCnt;
    }

    /** Whether the block it rebuilt last failed its MIC check (TS004 v2.0.0); such a block is never handed on. */
    public boolean micError() {
        return micError;
    }

    /** Whether it checked the MIC of the block it rebuilt last (TS004 v2.0.0), whatever the check found. */
    public boolean micChecked() {
        return micChecked;
    }

    public String devEui() {
        return devEui;
    }

    /** The McRootKey the device was provisioned with: it derives each group's keys from it (TS005). */
    public synchronized void mcRootKey(byte[] key) {
        if (key.length != 16) {
            throw new IllegalArgumentException("McRootKey is 16 bytes, not " + key.length);
        }
        mcRootKey = key.clone();
    }

    /**
     * The session keys the device derived for its group at {@code mcAddr}, null when it has none: a network server's
     * frame for the group reaches the application only when the group's keys are these (its MIC checks out).
     */
    public synchronized McKeys.SessionKeys multicastKeys(long mcAddr) {
        for (int g = 0; g < groupAddr.length; g++) {
            if (groupAddr[g] == mcAddr && groupKeys[g] != null) {
                return groupKeys[g];
            }
        }
        return null;
    }

    /** The frame counter the next uplink carries. */
    public long nextFCnt() {
        return fCnt;
    }

    /** Takes the frame counter for the next uplink. */
    public long takeFCnt() {
        return fCnt++;
    }

    /** The device's own reading of GPS time. */
    public long gpsSeconds(Instant at) {
        return GpsTime.seconds(at.plus(clockOffset));
    }

    public Duration clockOffset() {
        return clockOffset;
    }

    /** Whether it rebuilt the block and the block hashes to the expected digest. */
    public boolean verified() {
        return verified;
    }

    public FragmentDecoder.Status status() {
        return decoder == null ? null : decoder.status();
    }

    /**
     * Fragments that reached the radio after the start its McClassCSessionReq gave while its Class C window was
     * closed by its clock (or already over).
     */
    public int fragmentsMissedWindowClosed() {
        return fragmentsMissedClosed;
    }

    /** Fragments of its multicast that reached the radio before the start its McClassCSessionReq gave. */
    public int fragmentsBeforeStart() {
        return fragmentsBeforeStart;
    }

    /** When its Class C window opens by its own clock, in true time; null before a McClassCSessionReq. */
    public Instant classCWindowOpens() {
        return windowOpens;
    }

    /** When its Class C window closes (SessionTimeOut after it opens), in true time; null before one. */
    public Instant classCWindowCloses() {
        return windowCloses;
    }

    /** The block it rebuilt and handed on; null before, and for a block whose MIC was wrong. */
    public byte[] block() {
        return block == null ? null : block.clone();
    }

    /**
     * A downlink that reached the device at {@code at} (its end); what the device sends in answer, with when.
     * Frames it cannot decode are dropped, as firmware would.
     */
    public List<Sent> receive(int fPort, byte[] frame, boolean multicast, long mcAddr, Instant at) {
        List<Sent> out = new ArrayList<>();
        try {
            switch (fPort) {
                case ClockSync.PORT -> {
                    for (FuotaCommand c : ClockSync.decode(Direction.DOWNLINK, frame)) {
                        clock(c, at, out);
                    }
                }
                case MulticastSetup.PORT -> {
                    for (FuotaCommand c : ts005.decode(Direction.DOWNLINK, frame)) {
                        multicast(c, at, out);
                    }
                }
                case Fragmentation.PORT -> {
                    if (multicast && !listening(mcAddr, at)) {
                        if (decoder != null && frame.length > 0 && frame[0] == 0x08) {
                            if (sessionStart == null || at.isBefore(sessionStart)) {
                                fragmentsBeforeStart++;
                            } else {
                                fragmentsMissedClosed++;
                            }
                        }
                        return out;
                    }
                    for (FuotaCommand c : ts004.decode(Direction.DOWNLINK, frame)) {
                        fragmentation(c, at, out);
                    }
                }
                default -> {
                }
            }
        } catch (FuotaCodecException e) {
            // a real device drops what it cannot parse
        }
        return out;
    }

    private boolean listening(long mcAddr, Instant at) {
        return windowOpens != null && mcAddr == windowAddr && !at.isBefore(windowOpens) && at.isBefore(windowCloses);
    }

    // an answer leaves a second or two after the request, as a device schedules its next uplink
    private Instant soon(Instant at) {
        return at.plusMillis(1000 + random.nextInt(2000));
    }

    private void clock(FuotaCommand c, Instant at, List<Sent> out) {
        if (c instanceof ForceDeviceResyncReq req) {
            Instant when = soon(at);
            out.add(new Sent(when, ClockSync.PORT, ClockSync.encode(
                    new AppTimeReq(gpsSeconds(when), false, (int) (fCnt & 0x0F)))));
        } else if (c instanceof AppTimeAns ans) {
            clockOffset = clockOffset.plusSeconds(ans.timeCorrection());
        }
    }

    private void multicast(FuotaCommand c, Instant at, List<Sent> out) {
        if (c instanceof McGroupSetupReq req) {
            groupAddr[req.groupId()] = req.mcAddr();
            synchronized (this) {
                groupKeys[req.groupId()] = mcRootKey == null ? null : McKeys.sessionKeys(McKeys.mcKeyFromEncrypted(
                        McKeys.keyEncryptionKey(mcRootKey), req.mcKeyEncrypted()), req.mcAddr());
            }
            out.add(new Sent(soon(at), MulticastSetup.PORT, ts005.encode(new McGroupSetupAns(req.groupId(), false))));
        } else if (c instanceof McClassCSessionReq req) {
            boolean undefined = groupAddr[req.groupId()] < 0;
            Instant when = soon(at);
            if (undefined) {
                out.add(new Sent(when, MulticastSetup.PORT, ts005.encode(
                        new McSessionAns(false, req.groupId(), true, false, false, false, null))));
                return;
            }
            // the window opens when this device's clock reads SessionTime
            sessionStart = GpsTime.instant(req.sessionTime());
            windowOpens = sessionStart.minus(clockOffset);
            windowCloses = windowOpens.plusSeconds(1L << req.timeOut());
            windowAddr = groupAddr[req.groupId()];
            long toStart = Math.max(0, req.sessionTime() - gpsSeconds(when));
            out.add(new Sent(when, MulticastSetup.PORT, ts005.encode(
                    new McSessionAns(false, req.groupId(), false, false, false, false, toStart))));
        }
    }

    private void fragmentation(FuotaCommand c, Instant at, List<Sent> out) {
        if (c instanceof FragSessionSetupReq req) {
            boolean tooBig = req.blockSize() > maxBlockBytes;
            boolean v2 = ts004.version() == Ts004Version.V2_0_0;
            // a retry of the setup it accepted (its answer was lost) is answered again and the session kept, while
            // the block is still being rebuilt; afterwards the same setup is a replay like any other
            boolean retry = v2 && req.equals(session) && !decoder.complete();
            boolean replay = v2 && !retry && req.integrity().sessionCnt() <= lastSessionCnt;
            if (!tooBig && !replay && !retry) {
                session = req;
                decoder = new FragmentDecoder(req.nbFrag(), req.fragSize(), ts004.version());
                block = null;
                verified = false;
                micError = false;
                micChecked = false;
                if (v2) {
                    lastSessionCnt = req.integrity().sessionCnt();
                }
            }
            out.add(new Sent(soon(at), Fragmentation.PORT, ts004.encode(
                    new FragSessionSetupAns(req.fragIndex(), false, tooBig, false, false, replay))));
        } else if (c instanceof DataFragment f) {
            if (decoder == null || f.fragIndex() != session.fragIndex()) {
                return;
            }
            fragmentsHeard++;
            if (decoder.accept(f.counter(), f.payload()) == FragmentDecoder.Outcome.COMPLETED) {
                byte[] rebuilt = decoder.block(session.padding());
                if (session.integrity() != null) {
                    micError = DataBlockMic.mic(dataBlockIntKey, session.integrity().sessionCnt(), session.fragIndex(),
                            session.descriptor(), rebuilt) != session.integrity().mic();
                    micChecked = true;
                    if (session.ackReception()) {
                        out.add(new Sent(soon(at), Fragmentation.PORT, ts004.encode(
                                new DataBlockReceivedReq(session.fragIndex(), micError))));
                    }
                    if (micError) {
                        // not what the server sent: nothing of it goes further
                        return;
                    }
                }
                block = rebuilt;
                if (firmware != null) {
                    out.addAll(firmware.rebuilt(block.clone(), at));
                } else {
                    verified = Arrays.equals(sha256(block), expectedDigest);
                }
            }
        } else if (c instanceof FragSessionStatusReq req) {
            if (decoder == null || req.fragIndex() != session.fragIndex()) {
                return;
            }
            if (!req.allParticipants() && decoder.complete()) {
                return;
            }
            // BlockAckDelay spreads the answers so that the devices do not all send at once
            long spread = 16_000L << session.blockAckDelay();
            Instant when = at.plusMillis(1 + (long) (random.nextDouble() * spread));
            FragmentDecoder.Status s = decoder.status();
            out.add(new Sent(when, Fragmentation.PORT, ts004.encode(new FragSessionStatusAns(req.fragIndex(),
                    Math.min(s.received(), Fragmentation.MAX_FRAGMENTS), Math.min(s.missing(), 255), false, micError,
                    false))));
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
