package org.updraft.transport.lorawan.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.updraft.api.store.FirmwareStore;
import org.updraft.api.update.UpdateService;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;
import org.updraft.transport.lorawan.internal.session.ScaledClock;
import org.updraft.transport.lorawan.internal.sim.ChirpstackRadio;
import org.updraft.transport.lorawan.internal.sim.SimulatedDevice;
import org.updraft.transport.lorawan.internal.sim.VerifyingFirmware;

/**
 * What the LoRaWAN transport's tests run on: the real platform ({@link FuotaPlatform}), a mosquitto of their own, the
 * simulated ChirpStack's clock at {@code speedup} times real time, and devices with verifying firmware behind it.
 * Closes what it opened, last first: transports, the network, then the platform and the broker.
 */
final class RadioBench implements AutoCloseable {

    static final String APP = "fuota-app";
    /** The frame size of the devices' report uplinks: DR0's 51 bytes, the smallest. */
    static final int REPORT_FRAME = 51;

    final Path dir;
    final double speedup;
    final Mosquitto broker;
    final FuotaPlatform platform;
    final ScaledClock clock;
    final Map<String, SimulatedDevice> radios = new LinkedHashMap<>();
    final Map<String, VerifyingFirmware> firmware = new LinkedHashMap<>();
    final Random random = new Random(2026_12_07L);
    private final List<AutoCloseable> open = new ArrayList<>();

    RadioBench(Path dir, double speedup) throws Exception {
        this.dir = dir;
        this.speedup = speedup;
        this.broker = Mosquitto.start(dir.resolve("broker"));
        try {
            this.platform = new FuotaPlatform(dir.resolve("platform"));
        } catch (Exception | Error e) {
            broker.close();
            throw e;
        }
        this.clock = new ScaledClock(Instant.now(), speedup);
    }

    /**
     * A device tagged lorawan that the registry knows as the platform's class at {@code version} and
     * {@code sequence}, with verifying firmware of {@code vendor} (provisioned with the log key, the trusted signers
     * and the statement key); its radio hands each rebuilt block to the firmware through {@code radio}.
     */
    VerifyingFirmware device(String devEui, String vendor, String version, long sequence, UnaryOperator<byte[]> radio)
            throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        platform.register(devEui, key, Set.of("lorawan"), version, sequence);
        VerifyingFirmware fw = new VerifyingFirmware(devEui, key, vendor, FuotaPlatform.CLASS, null,
                platform.logKey(), platform.deviceTrust(), version, sequence, 203, REPORT_FRAME);
        fw.statementKey(platform.updates.statementKey());
        firmware.put(devEui, fw);
        radios.put(devEui, new SimulatedDevice(devEui, (block, at) -> fw.rebuilt(radio.apply(block), at),
                Duration.ZERO, 1 << 16, random));
        return fw;
    }

    /** The simulated ChirpStack with the devices made so far, on the broker. */
    ChirpstackRadio network() throws Exception {
        return closeLater(new ChirpstackRadio(broker.uri(), APP, radios, clock));
    }

    /** The transport on the platform's update service and store: {@link #transport(Map, UpdateService, FirmwareStore)}. */
    LorawanTransport transport(Map<String, Object> extra) {
        return transport(extra, platform.updates, platform.store);
    }

    /**
     * The transport bound to the platform's registry, with the tests' settings (this bench's broker, application and
     * speed-up; no scans but those a rollout asks for; 6 attempts; state.file in the bench's directory) and
     * {@code extra} over them.
     */
    LorawanTransport transport(Map<String, Object> extra, UpdateService updates, FirmwareStore store) {
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("broker.uri", broker.uri(), "client.id",
                "updraft-fuota-test", "application.id", APP, "clock.speedup", speedup, "scan.interval.seconds", 3600,
                "max.attempts", 6, "state.file", dir.resolve("devices.state").toString()));
        settings.putAll(extra);
        LorawanTransport t = new LorawanTransport(Configs.of(LorawanTransportConfig.class, settings), updates);
        closeLater(t::close);
        t.bindRegistry(platform.registry);
        t.bindStore(store);
        return t;
    }

    /** Closed with the bench, before what was opened earlier. */
    <T extends AutoCloseable> T closeLater(T c) {
        open.add(c);
        return c;
    }

    @Override
    public void close() throws Exception {
        try {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        } finally {
            try {
                platform.close();
            } finally {
                broker.close();
            }
        }
    }
}
