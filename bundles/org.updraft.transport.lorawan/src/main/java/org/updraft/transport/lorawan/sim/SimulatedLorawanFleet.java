package org.updraft.transport.lorawan.sim;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

import org.eclipse.paho.mqttv5.common.MqttException;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.transport.lorawan.internal.fec.FragmentDecoder;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.radio.DataRate;
import org.updraft.transport.lorawan.internal.radio.Region;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.ScaledClock;
import org.updraft.transport.lorawan.internal.sim.ChirpstackRadio;
import org.updraft.transport.lorawan.internal.sim.LossModel;
import org.updraft.transport.lorawan.internal.sim.SimulatedChirpstackApi;
import org.updraft.transport.lorawan.internal.sim.SimulatedDevice;
import org.updraft.transport.lorawan.internal.sim.VerifyingFirmware;
import org.updraft.transport.lorawan.internal.update.ReportFrames;

/**
 * LoRaWAN devices behind a simulated ChirpStack, on a real MQTT broker: the far side of the platform's LoRaWAN
 * transport. Every {@code command/down} the transport publishes for a device goes over a lossy radio (random loss
 * each way, per device) to that device, which runs the FUOTA packages, rebuilds the data block with the FEC decoder,
 * verifies the offer (checkpoint under the log key it was provisioned with, inclusion proof, manifest signature,
 * trusted signer, vendor, class, newer sequence) and the image (size, SHA-256, CID), "reboots" into it and sends its
 * signed report as uplinks on ChirpStack's {@code event/up} topic. Time runs {@code speedup} times faster than real,
 * as it must in the transport ({@code clock.speedup}). What went on air is counted: downlinks, fragments, their
 * airtime at the data rate.
 */
public final class SimulatedLorawanFleet implements AutoCloseable {

    /** One device's end, as it sees it. */
    public record DeviceOutcome(String devEui, DeviceState state, String reason, int received, int missing,
            int nbFrag, String version) {
    }

    /** What went on air and where every device stands. */
    public record Summary(List<DeviceOutcome> devices, int downlinks, int downlinksLostOnAir, int uplinksLostOnAir,
            int uplinksLostInOutages, int fragments, int codedFragments, long airtimeMicros,
            long fragmentAirtimeMicros, List<String> problems) {

        public long count(DeviceState state) {
            return devices.stream().filter(d -> d.state() == state).count();
        }
    }

    private final ChirpstackRadio radio;
    private final Map<String, SimulatedDevice> devices;
    private final Map<String, VerifyingFirmware> firmware;
    private final DataRate dataRate;
    private final SimulatedChirpstackApi api;

    private SimulatedLorawanFleet(ChirpstackRadio radio, SimulatedChirpstackApi api,
            Map<String, SimulatedDevice> devices, Map<String, VerifyingFirmware> firmware, DataRate dataRate) {
        this.radio = radio;
        this.api = api;
        this.devices = devices;
        this.firmware = firmware;
        this.dataRate = dataRate;
    }

    /**
     * @param brokerUri the broker the transport's {@code broker.uri} names, {@code tcp://host:port}
     * @param applicationId the transport's {@code application.id}
     */
    public static Builder builder(String brokerUri, String applicationId) {
        return new Builder(brokerUri, applicationId);
    }

    /** The least airtime one device's session could take to carry {@code bytes} at EU868 {@code dataRate}. */
    public static long minimumAirtimeMicros(int bytes, int dataRate) {
        return FuotaSession.minimumAirtimeMicros(bytes, Region.EU868.dataRate(dataRate));
    }

    /** The largest fragment a frame at EU868 {@code dataRate} carries. */
    public static int maxFragmentSize(int dataRate) {
        return Region.EU868.dataRate(dataRate).maxFragmentSize();
    }

    public String dataRateName() {
        return dataRate.toString();
    }

    /** Where the simulated ChirpStack's REST API for multicast groups answers; null when it was not asked for. */
    public URI apiUri() {
        return api == null ? null : api.uri();
    }

    /**
     * What the simulated ChirpStack's multicast API saw: groups created, deleted and existing now, calls refused for
     * their token, frames enqueued for groups, devices added to groups; and on the radio, group frames lost on air for one device (a frame
     * to the group counts once per device that lost it; {@link Summary#downlinksLostOnAir} counts unicast frames),
     * group frames that reached a device not yet set up for the group, and group frames dropped by a device whose
     * own TS005 keys were not the group's.
     */
    public record MulticastCounts(int created, int deleted, int existing, int unauthorized, int enqueued,
            int devicesAdded, int receptionsLost, int notSetUp, int keyMismatches) {
    }

    /**
     * What a TS004 v2.0.0 device saw of its last fragmentation session: the last SessionCnt it accepted (-1 for none),
     * whether it checked the MIC of a block it rebuilt (so it was set up with a BlockIntegrity), and whether that MIC
     * was wrong (the block then never reached its firmware).
     */
    public record Ts004V2State(int lastSessionCnt, boolean micChecked, boolean micError) {
    }

    /** What {@code devEui} saw as a TS004 v2.0.0 device; null for a device that runs v1.0.0. */
    public Ts004V2State ts004V2(String devEui) {
        SimulatedDevice d = devices.get(devEui);
        if (d == null) {
            throw new IllegalArgumentException("no simulated device " + devEui);
        }
        if (d.ts004Version() != Ts004Version.V2_0_0) {
            return null;
        }
        return new Ts004V2State(d.lastSessionCnt(), d.micChecked(), d.micError());
    }

    public MulticastCounts multicast() {
        return new MulticastCounts(api == null ? 0 : api.created.get(), api == null ? 0 : api.deleted.get(),
                api == null ? 0 : api.groups(), api == null ? 0 : api.unauthorized.get(),
                api == null ? 0 : api.enqueued.get(), api == null ? 0 : api.added.get(),
                radio.multicastReceptionsLost.get(), radio.multicastNotSetUp.get(),
                radio.multicastKeyMismatches.get());
    }

    /** Where every device stands now, and what went on air so far. */
    public Summary summary() {
        List<DeviceOutcome> out = new ArrayList<>();
        for (Map.Entry<String, SimulatedDevice> e : devices.entrySet()) {
            SimulatedDevice d = e.getValue();
            VerifyingFirmware fw = firmware.get(e.getKey());
            FragmentDecoder.Status s;
            DeviceState state;
            String reason;
            synchronized (fw) {
                state = fw.state();
                reason = fw.reason();
                s = d.status();
            }
            if (state == DeviceState.IDLE && s != null) {
                state = DeviceState.DOWNLOADING;
            }
            out.add(new DeviceOutcome(e.getKey(), state, reason, s == null ? 0 : s.received(),
                    s == null ? 0 : s.missing(), radio.nbFrag(e.getKey()), fw.version()));
        }
        return new Summary(out, radio.downlinks.get(), radio.downlinksLostOnAir.get(), radio.uplinksLostOnAir.get(),
                radio.uplinksLost.get(), radio.fragments.get(), radio.codedFragments.get(), radio.airtimeMicros.get(),
                radio.fragmentAirtimeMicros.get(), concat(radio.problems, radio.publishFailures));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        synchronized (b) {
            b.forEach(e -> out.add("uplink not published: " + e));
        }
        return List.copyOf(out);
    }

    @Override
    public void close() throws IOException {
        if (api != null) {
            api.close();
        }
        try {
            radio.close();
        } catch (Exception e) {
            throw new IOException("closing the simulated network: " + e.getMessage(), e);
        }
    }

    /** Devices and how their network behaves. */
    public static final class Builder {
        private final String brokerUri;
        private final String applicationId;
        private final Map<String, Object[]> devices = new LinkedHashMap<>();
        private String logKey;
        private TrustLookup trust;
        private String statementKey;
        private double speedup = 1;
        private int dataRate = 5;
        private double loss;
        private long seed = 1;
        private int reportPort = ReportFrames.DEFAULT_PORT;
        private String apiToken;
        private InetSocketAddress apiAddress;
        private final Map<String, byte[]> mcRootKeys = new LinkedHashMap<>();
        private final Map<String, byte[]> dataBlockIntKeys = new LinkedHashMap<>();
        private final Map<String, Integer> lastSessionCnts = new LinkedHashMap<>();

        private Builder(String brokerUri, String applicationId) {
            this.brokerUri = Objects.requireNonNull(brokerUri, "brokerUri");
            this.applicationId = Objects.requireNonNull(applicationId, "applicationId");
        }

        /** The platform's log key the devices were provisioned with, and the manufacturer keys they accept. */
        public Builder trust(String logKeyDid, TrustLookup manufacturers) {
            this.logKey = logKeyDid;
            this.trust = manufacturers;
            return this;
        }

        /**
         * The platform's statement key the devices were provisioned with ({@code UpdateService.statementKey()}): a
         * device then acts on no block whose session statement does not name it. Without it they check none.
         */
        public Builder statementKey(String did) {
            this.statementKey = did;
            return this;
        }

        /** As the transport's {@code clock.speedup}: the two must agree. */
        public Builder speedup(double speedup) {
            this.speedup = speedup;
            return this;
        }

        /** The EU868 data rate of the session's downlinks (the transport's {@code data.rate}), for their airtime. */
        public Builder dataRate(int dataRate) {
            Region.EU868.dataRate(dataRate);
            this.dataRate = dataRate;
            return this;
        }

        /** Share of frames each device's radio loses, each way, 0 to below 1. */
        public Builder loss(double share) {
            if (!(share >= 0 && share < 1)) {
                throw new IllegalArgumentException("the loss is a share from 0 to below 1, not " + share);
            }
            this.loss = share;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The port the devices send their reports on (the transport's {@code report.port}). */
        public Builder reportPort(int port) {
            this.reportPort = port;
            return this;
        }

        /**
         * A device, registered in the platform under its DevEUI with {@code key}'s did:key, running {@code version}
         * ({@code sequence}) of {@code vendor}'s {@code deviceClass}.
         */
        public Builder device(String devEui, SigningKey key, String vendor, String deviceClass, String version,
                long sequence) {
            if (!devEui.matches("[0-9a-f]{16}")) {
                throw new IllegalArgumentException("a DevEUI is 16 lower-case hex digits, not " + devEui);
            }
            devices.put(devEui, new Object[] {key, vendor, deviceClass, version, sequence});
            return this;
        }

        /**
         * The simulated ChirpStack also serves its REST API for multicast groups ({@link #apiUri()}), accepting only
         * {@code token}: the transport's multicast sessions go through it.
         */
        public Builder multicastApi(String token) {
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("the API needs a token");
            }
            this.apiToken = token;
            return this;
        }

        /**
         * Where the REST API of {@link #multicastApi} listens: a loopback address and a port, as the transport's
         * {@code api.uri} names them (port 0: a free one, the default on the loopback address). {@link #start} fails,
         * naming it, when the port is taken.
         */
        public Builder apiAddress(InetSocketAddress address) {
            Objects.requireNonNull(address, "address");
            if (address.isUnresolved() || !address.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException("the simulated ChirpStack API listens on a loopback address only, "
                        + "not " + address);
            }
            this.apiAddress = address;
            return this;
        }

        /** The TS005 McRootKey {@code devEui} was provisioned with (16 bytes); without one it drops group frames. */
        public Builder mcRootKey(String devEui, byte[] key) {
            if (key.length != 16) {
                throw new IllegalArgumentException("McRootKey is 16 bytes, not " + key.length);
            }
            mcRootKeys.put(devEui, key.clone());
            return this;
        }

        /**
         * Makes {@code devEui} a TS004 v2.0.0 device provisioned with {@code dataBlockIntKey} (16 bytes, derived from
         * its root key as {@code DataBlockMic.dataBlockIntKey} does), which last accepted SessionCnt
         * {@code lastSessionCnt} (-1 for none): it refuses a session whose SessionCnt is not above it, and checks the
         * MIC of the block it rebuilds before its firmware sees it. Without this a device runs v1.0.0.
         */
        public Builder ts004V2(String devEui, byte[] dataBlockIntKey, int lastSessionCnt) {
            if (dataBlockIntKey == null || dataBlockIntKey.length != 16) {
                throw new IllegalArgumentException("DataBlockIntKey is 16 bytes");
            }
            if (lastSessionCnt < -1 || lastSessionCnt > 0xFFFF) {
                throw new IllegalArgumentException("the last SessionCnt is -1 (none) or 16 bits, not "
                        + lastSessionCnt);
            }
            dataBlockIntKeys.put(devEui, dataBlockIntKey.clone());
            lastSessionCnts.put(devEui, lastSessionCnt);
            return this;
        }

        /**
         * Connects the simulated network server to the broker and subscribes to the application's downlinks.
         *
         * @throws IOException when the broker cannot be reached
         */
        public SimulatedLorawanFleet start() throws IOException {
            if (logKey == null || trust == null) {
                throw new IllegalStateException("the devices need the log key and the manufacturer keys: trust(...)");
            }
            Random random = new Random(seed);
            ScaledClock clock = new ScaledClock(Instant.now(), speedup);
            Map<String, SimulatedDevice> sims = new LinkedHashMap<>();
            Map<String, VerifyingFirmware> fws = new LinkedHashMap<>();
            for (Map.Entry<String, Object[]> e : devices.entrySet()) {
                Object[] d = e.getValue();
                VerifyingFirmware fw = new VerifyingFirmware(e.getKey(), (SigningKey) d[0], (String) d[1],
                        (String) d[2], null, logKey, trust, (String) d[3], (Long) d[4], reportPort, 51);
                if (statementKey != null) {
                    fw.statementKey(statementKey);
                }
                fws.put(e.getKey(), fw);
                SimulatedDevice sim = new SimulatedDevice(e.getKey(), fw, Duration.ZERO, 1 << 20,
                        new Random(random.nextLong()));
                if (mcRootKeys.containsKey(e.getKey())) {
                    sim.mcRootKey(mcRootKeys.get(e.getKey()));
                }
                if (dataBlockIntKeys.containsKey(e.getKey())) {
                    sim.runTs004V2(dataBlockIntKeys.get(e.getKey()), lastSessionCnts.get(e.getKey()));
                }
                sims.put(e.getKey(), sim);
            }
            DataRate dr = Region.EU868.dataRate(dataRate);
            ChirpstackRadio radio;
            try {
                radio = new ChirpstackRadio(brokerUri, applicationId, sims, clock, dr, new Random(random.nextLong()));
            } catch (MqttException | IllegalArgumentException e) {
                throw new IOException("the simulated ChirpStack cannot reach the broker " + brokerUri + ": "
                        + e.getMessage(), e);
            }
            for (String devEui : sims.keySet()) {
                radio.loss(devEui, LossModel.random(loss), LossModel.random(loss));
            }
            SimulatedChirpstackApi api = null;
            if (apiToken != null) {
                try {
                    api = apiAddress == null ? new SimulatedChirpstackApi(apiToken, applicationId, radio, sims.keySet())
                            : new SimulatedChirpstackApi(apiToken, applicationId, radio, sims.keySet(), apiAddress);
                } catch (IOException | RuntimeException | LinkageError e) {
                    try {
                        radio.close();
                    } catch (Exception c) {
                        e.addSuppressed(c);
                    }
                    // a taken port says so itself; anything else is named with its kind
                    throw new IOException(e instanceof BindException ? e.getMessage()
                            : "the simulated ChirpStack cannot serve its API: " + e, e);
                }
            }
            return new SimulatedLorawanFleet(radio, api, sims, fws, dr);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d simulated LoRaWAN devices at %s", devices.size(), dataRate);
    }
}
