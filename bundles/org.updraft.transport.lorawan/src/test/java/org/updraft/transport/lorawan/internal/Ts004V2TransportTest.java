package org.updraft.transport.lorawan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.transport.lorawan.internal.FuotaPlatform.await;
import static org.updraft.transport.lorawan.internal.FuotaPlatform.settled;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.transport.lorawan.internal.LorawanTransport.Delivery;
import org.updraft.transport.lorawan.internal.LorawanTransport.Stage;
import org.updraft.transport.lorawan.internal.fuota.DataBlockMic;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.DeviceOutcome;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.Ts004V2State;

/**
 * The transport's TS004 v2.0.0 sessions on the real platform, a real mosquitto and the simulated ChirpStack: devices
 * of a class in {@code ts004.v2.classes} get v2.0.0 sessions whose block's MIC each device checks under its own
 * DataBlockIntKey (from {@code ts004.keys.file}), with a SessionCnt that {@code state.file} keeps growing across
 * restarts; the other classes still get v1.0.0. The simulated v2.0.0 devices drop v1.0.0 setups they cannot parse and
 * refuse a SessionCnt not above their last, so a session that were not v2.0.0, or a counter that went back, would not
 * reach them.
 */
class Ts004V2TransportTest {

    private static final String V2_CLASS = "valve";
    private static final double SPEEDUP = 100;

    @TempDir
    Path dir;

    private RadioBench bench;
    private FuotaPlatform platform;
    private Random random;
    private SimulatedLorawanFleet.Builder builder;
    private final StringBuilder keyLines = new StringBuilder("# DevEUI DataBlockIntKey\n");

    @BeforeEach
    void start() throws Exception {
        bench = new RadioBench(dir, SPEEDUP);
        platform = bench.platform;
        random = bench.random;
        builder = SimulatedLorawanFleet.builder(bench.broker.uri(), RadioBench.APP)
                .trust(platform.logKey(), platform.deviceTrust()).statementKey(platform.updates.statementKey())
                .speedup(SPEEDUP).loss(0.1).seed(5);
    }

    @AfterEach
    void stop() throws Exception {
        bench.close();
    }

    /** A device of {@code deviceClass} running 1.0.0, registered (tag lorawan) and in the fleet. */
    private String device(int n, String deviceClass) throws Exception {
        String devEui = String.format("70b3d57ed2%06x", n);
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        platform.register(devEui, key, Set.of("lorawan"), deviceClass, "1.0.0", 1);
        builder.device(devEui, key, FuotaPlatform.VENDOR, deviceClass, "1.0.0", 1);
        return devEui;
    }

    /**
     * A TS004 v2.0.0 device of the v2 class, provisioned with the DataBlockIntKey of its own root key; the key file
     * gets {@code inFile} for it: its own key, another, or (null) no line.
     */
    private String v2Device(int n, Boolean rightKeyInFile) throws Exception {
        return v2Device(n, rightKeyInFile, -1);
    }

    /** As {@link #v2Device(int, Boolean)}, the device having accepted {@code lastSessionCnt} before. */
    private String v2Device(int n, Boolean rightKeyInFile, int lastSessionCnt) throws Exception {
        String devEui = device(n, V2_CLASS);
        byte[] root = new byte[16];
        random.nextBytes(root);
        byte[] key = DataBlockMic.dataBlockIntKey(root);
        builder.ts004V2(devEui, key, lastSessionCnt);
        if (rightKeyInFile != null) {
            byte[] told = key.clone();
            if (!rightKeyInFile) {
                told[5] ^= 0x20;
            }
            keyLines.append(devEui.toUpperCase()).append(' ').append(HexFormat.of().formatHex(told)).append('\n');
        }
        return devEui;
    }

    private Path keyFile() throws Exception {
        Path file = dir.resolve("ts004-keys");
        Files.writeString(file, keyLines);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Over the bench's: more attempts, repair rounds and redundancy at 10% loss; v2 for the v2 class and boilers. */
    private Map<String, Object> settings(Path keys, Path stateFile) {
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("max.attempts", 8, "repair.rounds", 8, "redundancy",
                0.3, "ts004.v2.classes", "boiler, " + V2_CLASS, "ts004.keys.file", keys.toString(), "state.file",
                stateFile.toString(), "retry.minutes", 0));
        return settings;
    }

    private LorawanTransport transport(Map<String, Object> settings) {
        return bench.transport(settings);
    }

    private byte[] image(int size) {
        byte[] image = new byte[size];
        random.nextBytes(image);
        return image;
    }

    private static DeviceOutcome outcome(SimulatedLorawanFleet fleet, String devEui) {
        return fleet.summary().devices().stream().filter(d -> d.devEui().equals(devEui)).findFirst().orElseThrow();
    }

    private static boolean installed(LorawanTransport t, List<String> devices, String releaseId) {
        return devices.stream().allMatch(d -> {
            Delivery x = t.deliveries().get(d);
            return x != null && x.stage() == Stage.INSTALLED && x.releaseId().equals(releaseId);
        });
    }

    /**
     * Three v2.0.0 devices of the v2 class and two v1.0.0 devices of another class: each class gets its own session
     * in its own version, and all five install. The v2.0.0 devices checked the MIC of the block they rebuilt and
     * accepted SessionCnt 1. After a restart of the component on the same state.file a second release reaches them
     * with SessionCnt 2; after a restart without the file (lost) a third one still does: they refuse 1 and 2 as not
     * above their last, and the transport doubles the counter until 4 is accepted (and the session after it carries
     * the consistency proof from the checkpoint they hold, which the lost file also kept).
     */
    @Test
    void aV2ClassGetsV2SessionsWithSessionCntKeptAcrossRestartsAndAV1ClassStillGetsV1() throws Exception {
        List<String> v2 = List.of(v2Device(1, true), v2Device(2, true), v2Device(3, true));
        List<String> v1 = List.of(device(4, FuotaPlatform.CLASS), device(5, FuotaPlatform.CLASS));
        Path keys = keyFile();
        Path state = dir.resolve("state/devices.state");
        Release valve2 = platform.publish(image(1500), 2, V2_CLASS);
        Release thermo2 = platform.publish(image(1500), 2, FuotaPlatform.CLASS);
        try (SimulatedLorawanFleet fleet = builder.start()) {
            Rollout first = platform.rollout(valve2);
            platform.rollout(thermo2);
            LorawanTransport t = transport(settings(keys, state));
            await("every device's report", Duration.ofSeconds(120), () -> settled(t, 5)
                    && installed(t, v2, valve2.id()) && installed(t, v1, thermo2.id()));
            for (String d : v2) {
                Ts004V2State s = fleet.ts004V2(d);
                assertEquals(new Ts004V2State(1, true, false), s, d);
                assertEquals("2.0.2", outcome(fleet, d).version(), d);
                assertEquals(2, platform.device(d).installedSequence(), d);
                assertEquals(1, DeviceMemory.open(state).of(d).sessionCnt(), d);
            }
            for (String d : v1) {
                assertNull(fleet.ts004V2(d), "a v1.0.0 device");
                assertEquals(DeviceState.INSTALLED, outcome(fleet, d).state(), d);
                assertEquals(2, platform.device(d).installedSequence(), d);
                assertEquals(0, DeviceMemory.open(state).of(d).sessionCnt(), "no SessionCnt for a v1.0.0 device");
            }
            assertEquals(List.of(), fleet.summary().problems());
            t.close();

            // the component restarts on the same state.file: the counter goes on from where it was
            platform.rollouts.advance(first.id(), "test");
            Release valve3 = platform.publish(image(1500), 3, V2_CLASS);
            Rollout second = platform.rollout(valve3);
            LorawanTransport again = transport(settings(keys, state));
            await("the second release's reports", Duration.ofSeconds(120),
                    () -> settled(again, 3) && installed(again, v2, valve3.id()));
            for (String d : v2) {
                assertEquals(new Ts004V2State(2, true, false), fleet.ts004V2(d), d);
                assertEquals(3, platform.device(d).installedSequence(), d);
            }
            again.close();

            // the state file is lost: the counters start at 1 again, which the devices refuse, and recover by jumps
            Files.delete(state);
            platform.rollouts.advance(second.id(), "test");
            Release valve4 = platform.publish(image(1500), 4, V2_CLASS);
            platform.rollout(valve4);
            LorawanTransport lost = transport(settings(keys, state));
            await("the third release's reports", Duration.ofSeconds(180),
                    () -> settled(lost, 3) && installed(lost, v2, valve4.id()));
            // 4 is accepted; the file also kept the size of the checkpoint each device holds, so that block carried
            // no consistency proof from it: the device says log-unproven, and the session after (5) installs
            for (String d : v2) {
                assertEquals(new Ts004V2State(5, true, false), fleet.ts004V2(d), d);
                assertEquals(4, platform.device(d).installedSequence(), d);
                assertEquals(5, DeviceMemory.open(state).of(d).sessionCnt(), d);
            }
            assertEquals(List.of(), fleet.summary().problems());
            System.out.println("TS004 v2.0.0 transport: " + fleet.summary().downlinks() + " downlinks; " + lost.status());
        }
    }

    /**
     * A v2.0.0 device without a line in the key file is held, its delivery and the status naming the file, and is
     * sent nothing; one whose line holds another key than its own rebuilds the block, finds the MIC wrong, ends
     * {@code mic-error} and installs nothing; the device with its own key installs. A device that used up its
     * SessionCnt (it accepted 65535) refuses every counter: the jumps end at 65535 after 17 setups, and it is held
     * saying so, not offered sessions forever.
     */
    @Test
    void aV2DeviceWithoutAKeyIsHeldAndOneWithAWrongKeyEndsMicError() throws Exception {
        String keyed = v2Device(1, true);
        String unkeyed = v2Device(2, null);
        String wrong = v2Device(3, false);
        String spent = v2Device(4, true, DeviceMemory.MAX_SESSION_CNT);
        Path keys = keyFile();
        Release release = platform.publish(image(1500), 2, V2_CLASS);
        try (SimulatedLorawanFleet fleet = builder.start()) {
            platform.rollout(release);
            Map<String, Object> settings = settings(keys, dir.resolve("devices.state"));
            // one session: the held and the failed device are not offered again within the test
            settings.put("retry.minutes", 60);
            LorawanTransport t = transport(settings);
            await("the sessions' end", Duration.ofSeconds(120), () -> settled(t, 4)
                    && t.deliveries().get(keyed).stage() == Stage.INSTALLED
                    && t.deliveries().get(spent).reason().contains("used up"));

            Delivery held = t.deliveries().get(unkeyed);
            assertEquals(Stage.UNDELIVERED, held.stage(), held.toString());
            assertEquals("no TS004 v2.0.0 session: no DataBlockIntKey in ts004.keys.file " + keys, held.reason());
            assertTrue(t.status().contains("1 TS004 v2.0.0 device(s) held: no DataBlockIntKey in ts004.keys.file "
                    + keys), t.status());
            assertEquals(new Ts004V2State(-1, false, false), fleet.ts004V2(unkeyed), "never set up");
            assertEquals(0, outcome(fleet, unkeyed).nbFrag(), "no fragmentation setup reached it");

            Delivery refused = t.deliveries().get(wrong);
            assertEquals(Stage.UNDELIVERED, refused.stage(), refused.toString());
            assertEquals(FuotaSession.MIC_ERROR, refused.reason());
            assertEquals(new Ts004V2State(1, true, true), fleet.ts004V2(wrong));
            DeviceOutcome w = outcome(fleet, wrong);
            assertEquals("1.0.0", w.version(), "its firmware never saw the block");
            assertFalse(w.state() == DeviceState.INSTALLED || w.state() == DeviceState.FAILED, w.toString());
            assertEquals(1, platform.device(wrong).installedSequence());

            assertEquals(new Ts004V2State(1, true, false), fleet.ts004V2(keyed));
            assertEquals(2, platform.device(keyed).installedSequence());

            Delivery usedUp = t.deliveries().get(spent);
            assertEquals(Stage.UNDELIVERED, usedUp.stage());
            assertEquals("refused the fragmentation session: SessionCnt 65535 not above its last (replay); its "
                    + "SessionCnt is used up (65535 sessions): no further TS004 v2.0.0 session", usedUp.reason());
            assertEquals(DeviceMemory.MAX_SESSION_CNT, DeviceMemory.open(dir.resolve("devices.state")).of(spent)
                    .sessionCnt());
            assertEquals(new Ts004V2State(DeviceMemory.MAX_SESSION_CNT, false, false), fleet.ts004V2(spent));
            assertEquals(1, platform.device(spent).installedSequence());
        }
    }

    /**
     * Fail closed before anything is sent: a key file its group or others may read holds every v2.0.0 device of the
     * session (the reason says chmod 600), a state.file that cannot be written holds them with that reason; once both
     * are fixed the next scan's session installs.
     */
    @Test
    void anUnusableKeyFileOrStateFileHoldsTheDevicesUntilFixed() throws Exception {
        List<String> v2 = List.of(v2Device(1, true), v2Device(2, true));
        Path keys = keyFile();
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-r--r--"));
        Path stateDir = dir.resolve("state");
        Release release = platform.publish(image(1500), 2, V2_CLASS);
        try (SimulatedLorawanFleet fleet = builder.start()) {
            LorawanTransport t = transport(settings(keys, stateDir.resolve("devices.state")));
            platform.rollout(release);
            t.scanSoon();
            await("the refusal", Duration.ofSeconds(30), () -> settled(t, 2));
            for (String d : v2) {
                Delivery x = t.deliveries().get(d);
                assertEquals(Stage.UNDELIVERED, x.stage(), x.toString());
                assertTrue(x.reason().startsWith("no TS004 v2.0.0 session: ts004.keys.file " + keys)
                        && x.reason().contains("chmod 600"), x.reason());
            }
            assertTrue(t.status().contains("chmod 600"), t.status());

            // the key file fixed, the state file's directory made impossible to create
            Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(stateDir, "a file where the state file's directory should be");
            t.scanSoon();
            await("the second refusal", Duration.ofSeconds(30), () -> t.deliveries().values().stream()
                    .allMatch(x -> x.reason() != null && x.reason().contains("state.file")));
            for (String d : v2) {
                assertTrue(t.deliveries().get(d).reason().startsWith("no TS004 v2.0.0 session: state.file "
                        + stateDir.resolve("devices.state") + " cannot be written"), t.deliveries().get(d).reason());
            }
            assertEquals(0, fleet.summary().downlinks(), "nothing was sent");

            Files.delete(stateDir);
            t.scanSoon();
            await("the reports", Duration.ofSeconds(120), () -> installed(t, v2, release.id()));
            for (String d : v2) {
                assertEquals(new Ts004V2State(1, true, false), fleet.ts004V2(d), d);
            }
        }
    }

    /**
     * Multicast in TS004 v2.0.0: four devices of the v2 class with a McRootKey and a DataBlockIntKey each join one
     * group through the simulated ChirpStack's API, get their v2.0.0 setups by unicast and the fragments once to the
     * group, check the block's MIC with their own keys and install.
     */
    @Test
    void aMulticastSessionOfAV2ClassRunsV2() throws Exception {
        String token = "cs-api-token-v2";
        builder.multicastApi(token);
        StringBuilder mcLines = new StringBuilder();
        List<String> v2 = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            String devEui = v2Device(i, true);
            byte[] mcRoot = new byte[16];
            random.nextBytes(mcRoot);
            builder.mcRootKey(devEui, mcRoot);
            mcLines.append(devEui).append(' ').append(HexFormat.of().formatHex(mcRoot)).append('\n');
            v2.add(devEui);
        }
        Path keys = keyFile();
        Path mcKeys = dir.resolve("mc-keys");
        Files.writeString(mcKeys, mcLines);
        Files.setPosixFilePermissions(mcKeys, PosixFilePermissions.fromString("rw-------"));
        Path tokenFile = dir.resolve("api-token");
        Files.writeString(tokenFile, token + "\n");
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        Release release = platform.publish(image(3000), 2, V2_CLASS);
        try (SimulatedLorawanFleet fleet = builder.start()) {
            platform.rollout(release);
            Map<String, Object> settings = settings(keys, dir.resolve("devices.state"));
            settings.putAll(Map.of("multicast.enabled", true, "api.uri", fleet.apiUri().toString(), "api.token.file",
                    tokenFile.toString(), "multicast.keys.file", mcKeys.toString(), "multicast.address", "0a0b0c0d",
                    "answer.timeout.seconds", 60, "max.attempts", 12));
            LorawanTransport t = transport(settings);
            // the session, and with it the group, ends after the reports came
            await("every device's report and the group's deletion", Duration.ofSeconds(180), () -> settled(t, 4)
                    && installed(t, v2, release.id()) && fleet.multicast().deleted() == 1);
            for (String d : v2) {
                assertEquals(new Ts004V2State(1, true, false), fleet.ts004V2(d), d);
                assertEquals(2, platform.device(d).installedSequence(), d);
            }
            SimulatedLorawanFleet.MulticastCounts mc = fleet.multicast();
            assertEquals(1, mc.created(), mc.toString());
            assertEquals(1, mc.deleted(), mc.toString());
            assertTrue(mc.enqueued() > 0, mc.toString());
            assertEquals(List.of(), fleet.summary().problems());
        }
    }
}
