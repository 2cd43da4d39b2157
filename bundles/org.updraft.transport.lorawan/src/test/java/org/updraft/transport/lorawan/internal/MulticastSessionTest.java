package org.updraft.transport.lorawan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;
import org.updraft.transport.lorawan.internal.LorawanTransport.Delivery;
import org.updraft.transport.lorawan.internal.LorawanTransport.Stage;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.DeviceOutcome;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.MulticastCounts;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.Summary;

/**
 * Multicast sessions of the transport on the real platform, a real mosquitto and a simulated ChirpStack serving its
 * multicast-group REST API: setup frames go by MQTT to each device, fragments once to the group through the API,
 * and a device hears a group frame only when the keys it derived from its own McRootKey are the group's.
 */
class MulticastSessionTest {

    private static final String TOKEN = "cs-api-token-7f3a";
    private static final String ADDRESS = "0a0b0c0d";

    @TempDir
    Path dir;

    /**
     * 20 devices at 20% loss each way with the right McRootKey in the key file install and report; a 21st whose
     * line in the file holds another key than the one it was provisioned with answers its setup but drops every
     * group frame (fragments and status requests alike), and ends failed (silent, or its Class C window over); the
     * group is deleted at the end.
     */
    @Test
    void multicastSessionToTwentyDevicesAtTwentyPercentLoss() throws Exception {
        int n = 20;
        double speedup = 100;
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                FuotaPlatform platform = new FuotaPlatform(dir.resolve("platform"))) {
            SimulatedLorawanFleet.Builder builder = fleet(broker, platform, speedup).dataRate(5).loss(0.2).seed(11);
            Random random = new Random(13);
            StringBuilder keyFile = new StringBuilder("# DevEUI McRootKey\n");
            String wrong = String.format("70b3d5000000%04x", n);
            for (int i = 0; i <= n; i++) {
                String devEui = String.format("70b3d5000000%04x", i);
                device(platform, builder, devEui);
                byte[] root = new byte[16];
                random.nextBytes(root);
                builder.mcRootKey(devEui, root);
                if (devEui.equals(wrong)) {
                    root = root.clone();
                    root[0] ^= 0x55;
                }
                keyFile.append(devEui.toUpperCase()).append(' ').append(HexFormat.of().formatHex(root)).append('\n');
            }
            Path keys = secret("mc-keys", keyFile.toString());
            Path token = secret("api-token", TOKEN + "\n");
            byte[] image = new byte[6000];
            new Random(3).nextBytes(image);
            Release release = platform.publish(image, 2);
            try (SimulatedLorawanFleet fleet = builder.start()) {
                platform.rollout(release);
                LorawanTransport t = transport(platform, settings(broker, speedup, fleet, token, keys));
                try {
                    long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
                    while (System.nanoTime() < until && !(installed(t) == n
                            && t.deliveries().containsKey(wrong)
                            && t.deliveries().get(wrong).stage() == Stage.UNDELIVERED)) {
                        Thread.sleep(200);
                    }
                    Summary s = fleet.summary();
                    MulticastCounts mc = fleet.multicast();
                    System.out.println("multicast fleet: " + s.fragments() + " fragments (" + s.codedFragments()
                            + " coded), " + s.downlinks() + " downlinks, " + s.downlinksLostOnAir()
                            + " lost on air, airtime " + s.airtimeMicros() / 1e6 + " s; " + mc + "; transport "
                            + t.status());
                    for (DeviceOutcome d : s.devices()) {
                        if (d.devEui().equals(wrong)) {
                            assertNotEquals(DeviceState.INSTALLED, d.state(), d.toString());
                            assertEquals(0, d.received(), "the wrong-key device passed on no group frame: " + d);
                            continue;
                        }
                        assertEquals(DeviceState.INSTALLED, d.state(), d + "; " + t.deliveries());
                        assertEquals("2.0.2", d.version());
                        assertEquals(Stage.INSTALLED, t.deliveries().get(d.devEui()).stage());
                        assertEquals(2, platform.device(d.devEui()).installedSequence());
                    }
                    Delivery failed = t.deliveries().get(wrong);
                    assertEquals(Stage.UNDELIVERED, failed.stage(), failed.toString());
                    // status requests go to the group too: it hears none of them, and ends failed for its silence
                    // or when its Class C window closes, whichever the session sees first
                    assertTrue(failed.reason() != null && (failed.reason().contains("no FragSessionStatusAns")
                            || failed.reason().contains("Class C session ended")), failed.toString());
                    assertEquals(1, platform.device(wrong).installedSequence());
                    // one group, set up and deleted; fragments went to it once each, not once per device
                    assertEquals(1, mc.created(), mc.toString());
                    assertEquals(1, mc.deleted(), mc.toString());
                    assertEquals(0, mc.existing(), mc.toString());
                    assertEquals(0, mc.unauthorized(), mc.toString());
                    assertTrue(mc.keyMismatches() > 0, mc.toString());
                    assertTrue(mc.enqueued() >= s.fragments() && s.fragments() > 0, mc + " " + s);
                    assertTrue(s.fragments() < 4 * (s.devices().get(0).nbFrag()), "fragments to the group: " + s);
                    assertTrue(s.downlinksLostOnAir() > 0, "the radios lost frames");
                    assertEquals(List.of(), s.problems());
                } finally {
                    t.close();
                }
            }
        }
    }

    /** A token ChirpStack refuses: no session starts, no group is left, and the status says why. */
    @Test
    void refusedTokenGivesAClearStatus() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                FuotaPlatform platform = new FuotaPlatform(dir.resolve("platform"))) {
            SimulatedLorawanFleet.Builder builder = fleet(broker, platform, 100);
            String devEui = "70b3d50000000001";
            device(platform, builder, devEui);
            byte[] root = new byte[16];
            builder.mcRootKey(devEui, root);
            Path keys = secret("mc-keys", devEui + " " + HexFormat.of().formatHex(root) + "\n");
            Path token = secret("api-token", "not-the-token\n");
            Release release = platform.publish(new byte[500], 2);
            try (SimulatedLorawanFleet fleet = builder.start()) {
                platform.rollout(release);
                LorawanTransport t = transport(platform, settings(broker, 100, fleet, token, keys));
                try {
                    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (System.nanoTime() < until && !t.deliveries().containsKey(devEui)) {
                        Thread.sleep(100);
                    }
                    Delivery d = t.deliveries().get(devEui);
                    assertEquals(Stage.UNDELIVERED, d.stage(), String.valueOf(d));
                    assertTrue(d.reason().contains("HTTP 401"), d.reason());
                    String status = t.status();
                    assertTrue(status.contains("not started") && status.contains("HTTP 401")
                            && status.contains("api.token.file"), status);
                    assertTrue(!status.contains("not-the-token") && !status.contains(TOKEN), status);
                    MulticastCounts mc = fleet.multicast();
                    assertEquals(0, mc.created(), mc.toString());
                    assertEquals(0, mc.existing(), mc.toString());
                    assertTrue(mc.unauthorized() >= 1, mc.toString());
                    assertEquals(0, fleet.summary().downlinks(), "nothing was sent to the device");
                } finally {
                    t.close();
                }
            }
        }
    }

    /**
     * The API refuses the token in the middle of the session (the operator replaced it with a wrong one): the session
     * pauses with the reason in its status line, and goes on when the right token is back; the group is deleted at
     * the end.
     */
    @Test
    void tokenRefusedMidSessionPausesUntilItIsBack() throws Exception {
        int n = 4;
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                FuotaPlatform platform = new FuotaPlatform(dir.resolve("platform"))) {
            SimulatedLorawanFleet.Builder builder = fleet(broker, platform, 100);
            StringBuilder keyFile = new StringBuilder();
            for (int i = 0; i < n; i++) {
                String devEui = String.format("70b3d5000000%04x", i);
                device(platform, builder, devEui);
                byte[] root = new byte[16];
                root[15] = (byte) i;
                builder.mcRootKey(devEui, root);
                keyFile.append(devEui).append(' ').append(HexFormat.of().formatHex(root)).append('\n');
            }
            Path keys = secret("mc-keys", keyFile.toString());
            Path token = secret("api-token", TOKEN + "\n");
            byte[] image = new byte[4000];
            new Random(4).nextBytes(image);
            Release release = platform.publish(image, 2);
            try (SimulatedLorawanFleet fleet = builder.start()) {
                platform.rollout(release);
                LorawanTransport t = transport(platform, settings(broker, 100, fleet, token, keys));
                try {
                    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (System.nanoTime() < until && fleet.multicast().enqueued() < 3) {
                        Thread.sleep(5);
                    }
                    assertTrue(fleet.multicast().enqueued() >= 3, fleet.multicast().toString());
                    Files.writeString(token, "replaced-by-mistake\n");
                    String paused = null;
                    until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (System.nanoTime() < until && paused == null) {
                        String status = t.status();
                        if (status.contains("paused:")) {
                            paused = status;
                        }
                        Thread.sleep(5);
                    }
                    int enqueuedWhilePaused = fleet.multicast().enqueued();
                    Thread.sleep(300);
                    assertEquals(enqueuedWhilePaused, fleet.multicast().enqueued(), "nothing went to the group");
                    Files.writeString(token, TOKEN + "\n");
                    assertTrue(paused != null && paused.contains("HTTP 401") && paused.contains("api.token.file")
                            && !paused.contains(TOKEN) && !paused.contains("replaced-by-mistake"), paused);
                    until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                    // the devices report once they rebuilt the block; the session ends with its status round
                    while (System.nanoTime() < until && (installed(t) < n || fleet.multicast().existing() > 0)) {
                        Thread.sleep(100);
                    }
                    MulticastCounts mc = fleet.multicast();
                    assertEquals(n, installed(t), t.deliveries() + "; " + t.status());
                    assertTrue(t.pauses() >= 1, "the session paused");
                    assertTrue(mc.unauthorized() >= 1, mc.toString());
                    assertEquals(1, mc.created(), mc.toString());
                    assertEquals(1, mc.deleted(), mc.toString());
                    assertEquals(0, mc.existing(), mc.toString());
                } finally {
                    t.close();
                }
            }
        }
    }

    /**
     * A device without a line in the key file is left out of the group: the keyed devices get their multicast
     * session, and it gets a unicast session after them.
     */
    @Test
    void deviceWithoutKeyIsLeftToAUnicastSession() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                FuotaPlatform platform = new FuotaPlatform(dir.resolve("platform"))) {
            SimulatedLorawanFleet.Builder builder = fleet(broker, platform, 100);
            StringBuilder keyFile = new StringBuilder();
            String unkeyed = "70b3d50000000002";
            for (int i = 0; i < 3; i++) {
                String devEui = String.format("70b3d5000000%04x", i);
                device(platform, builder, devEui);
                if (!devEui.equals(unkeyed)) {
                    byte[] root = new byte[16];
                    root[3] = (byte) (i + 7);
                    builder.mcRootKey(devEui, root);
                    keyFile.append(devEui).append(' ').append(HexFormat.of().formatHex(root)).append('\n');
                }
            }
            Path keys = secret("mc-keys", keyFile.toString());
            Path token = secret("api-token", TOKEN + "\n");
            byte[] image = new byte[3000];
            new Random(6).nextBytes(image);
            Release release = platform.publish(image, 2);
            try (SimulatedLorawanFleet fleet = builder.start()) {
                platform.rollout(release);
                LorawanTransport t = transport(platform, settings(broker, 100, fleet, token, keys));
                try {
                    long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                    while (System.nanoTime() < until && installed(t) < 3) {
                        Thread.sleep(100);
                    }
                    assertEquals(3, installed(t), t.deliveries() + "; " + t.status());
                    MulticastCounts mc = fleet.multicast();
                    assertEquals(1, mc.created(), mc.toString());
                    assertEquals(2, mc.devicesAdded(), "only the keyed devices joined the group: " + mc);
                    for (DeviceOutcome d : fleet.summary().devices()) {
                        assertEquals(DeviceState.INSTALLED, d.state(), d.toString());
                    }
                } finally {
                    t.close();
                }
                assertEquals(0, fleet.multicast().existing());
            }
        }
    }

    /** The transport stopped in the middle of a multicast session (its bundle stopping) deletes the group. */
    @Test
    void stoppingMidSessionDeletesTheGroup() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                FuotaPlatform platform = new FuotaPlatform(dir.resolve("platform"))) {
            SimulatedLorawanFleet.Builder builder = fleet(broker, platform, 100);
            StringBuilder keyFile = new StringBuilder();
            for (int i = 0; i < 2; i++) {
                String devEui = String.format("70b3d5000000%04x", i);
                device(platform, builder, devEui);
                byte[] root = new byte[16];
                root[0] = (byte) (i + 1);
                builder.mcRootKey(devEui, root);
                keyFile.append(devEui).append(' ').append(HexFormat.of().formatHex(root)).append('\n');
            }
            Path keys = secret("mc-keys", keyFile.toString());
            Path token = secret("api-token", TOKEN + "\n");
            Release release = platform.publish(new byte[20_000], 2);
            try (SimulatedLorawanFleet fleet = builder.start()) {
                platform.rollout(release);
                LorawanTransport t = transport(platform, settings(broker, 100, fleet, token, keys));
                try {
                    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (System.nanoTime() < until && fleet.multicast().enqueued() < 3) {
                        Thread.sleep(5);
                    }
                    assertEquals(1, fleet.multicast().existing(), fleet.multicast().toString());
                } finally {
                    t.close();
                }
                MulticastCounts mc = fleet.multicast();
                assertEquals(1, mc.created(), mc.toString());
                assertEquals(1, mc.deleted(), mc.toString());
                assertEquals(0, mc.existing(), mc.toString());
                // its devices are not left SENDING for good: the next session offers them again
                assertEquals(2, t.deliveries().size(), t.deliveries().toString());
                for (Delivery d : t.deliveries().values()) {
                    assertEquals(Stage.UNDELIVERED, d.stage(), t.deliveries().toString());
                    assertEquals("the transport stopped during the session", d.reason());
                }
            }
        }
    }

    /** A key file others may read is refused: no session, no group, and the status says to chmod it. */
    @Test
    void keyFileOthersMayReadIsRefused() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                FuotaPlatform platform = new FuotaPlatform(dir.resolve("platform"))) {
            SimulatedLorawanFleet.Builder builder = fleet(broker, platform, 100);
            String devEui = "70b3d50000000001";
            device(platform, builder, devEui);
            Path keys = secret("mc-keys", devEui + " " + "00".repeat(16) + "\n");
            Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-r--r--"));
            Path token = secret("api-token", TOKEN + "\n");
            Release release = platform.publish(new byte[500], 2);
            try (SimulatedLorawanFleet fleet = builder.start()) {
                platform.rollout(release);
                LorawanTransport t = transport(platform, settings(broker, 100, fleet, token, keys));
                try {
                    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (System.nanoTime() < until && !t.deliveries().containsKey(devEui)) {
                        Thread.sleep(100);
                    }
                    Delivery d = t.deliveries().get(devEui);
                    assertEquals(Stage.UNDELIVERED, d.stage(), String.valueOf(d));
                    assertTrue(d.reason().contains("chmod 600"), d.reason());
                    assertTrue(t.status().contains("chmod 600"), t.status());
                    assertEquals(0, fleet.multicast().created());
                    assertEquals(0, fleet.summary().downlinks(), "nothing was sent to the device");
                } finally {
                    t.close();
                }
            }
        }
    }

    /** The simulated fleet's builder: devices provisioned with the platform's keys, the REST API on. */
    private static SimulatedLorawanFleet.Builder fleet(Mosquitto broker, FuotaPlatform platform, double speedup) {
        return SimulatedLorawanFleet.builder(broker.uri(), "mc-app").trust(platform.logKey(), platform.deviceTrust())
                .statementKey(platform.updates.statementKey()).speedup(speedup).multicastApi(TOKEN);
    }

    /** A device of the vendor's class running 1.0.0, registered with a tag lorawan and added to the fleet. */
    private static void device(FuotaPlatform platform, SimulatedLorawanFleet.Builder builder, String devEui)
            throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        platform.register(devEui, key, Set.of("lorawan"));
        builder.device(devEui, key, FuotaPlatform.VENDOR, FuotaPlatform.CLASS, "1.0.0", 1);
    }

    /** The transport with the settings, bound to the platform's registry and store: its first scan starts. */
    private static LorawanTransport transport(FuotaPlatform platform, Map<String, Object> settings) {
        LorawanTransport t = new LorawanTransport(Configs.of(LorawanTransportConfig.class, settings), platform.updates);
        t.bindRegistry(platform.registry);
        t.bindStore(platform.store);
        return t;
    }

    private Map<String, Object> settings(Mosquitto broker, double speedup, SimulatedLorawanFleet fleet, Path token,
            Path keys) {
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("broker.uri", broker.uri(), "application.id",
                "mc-app", "clock.speedup", speedup, "scan.interval.seconds", 3600, "max.attempts", 12,
                "repair.rounds", 8, "answer.timeout.seconds", 60));
        settings.putAll(Map.of("multicast.enabled", true, "api.uri", fleet.apiUri().toString(), "api.token.file",
                token.toString(), "multicast.keys.file", keys.toString(), "multicast.address", ADDRESS));
        settings.put("state.file", dir.resolve("devices.state").toString());
        return settings;
    }

    private Path secret(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static long installed(LorawanTransport t) {
        return t.deliveries().values().stream().filter(d -> d.stage() == Stage.INSTALLED).count();
    }
}
