package org.updraft.transport.lorawan.internal.sim;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.updraft.core.json.JsonReader;
import org.updraft.transport.lorawan.internal.fuota.ClockSync;
import org.updraft.transport.lorawan.internal.fuota.Direction;
import org.updraft.transport.lorawan.internal.fuota.FuotaCodecException;
import org.updraft.transport.lorawan.internal.fuota.FuotaCommand;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.DataFragment;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation.FragSessionSetupReq;
import org.updraft.transport.lorawan.internal.fuota.MulticastSetup;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.multicast.McKeys;
import org.updraft.transport.lorawan.internal.radio.DataRate;
import org.updraft.transport.lorawan.internal.session.ScaledClock;

/**
 * ChirpStack and its devices on the far side of a real MQTT broker: every {@code command/down} goes to its simulated
 * device over a radio that loses frames ({@link LossModel}, each way, per device), every uplink the device sends comes
 * back as an {@code event/up} JSON event, after the device's delay in the shared scaled time. It counts what went on
 * air: downlinks, fragments (uncoded and coded, against the M of the device's FragSessionSetupReq), their airtime at
 * the session's data rate. It reconnects after a broker outage, as ChirpStack does; an uplink due while the broker is
 * away is lost, as a frame would be. A device may be given a tampering radio: the last uncoded fragment it hears has a
 * byte flipped. Used by the tests and by {@code updraft:demo --transport lorawan}.
 */
public final class ChirpstackRadio implements AutoCloseable {

    private final String app;
    private final MqttClient client;
    private final Map<String, SimulatedDevice> devices;
    private final ScaledClock clock;
    private final ScheduledExecutorService radio = Executors.newSingleThreadScheduledExecutor();
    private final Set<String> tampered = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> nbFrag = new ConcurrentHashMap<>();
    private final Map<String, Integer> m = new ConcurrentHashMap<>();
    private final DataRate dataRate;
    private final Random random;
    private final Map<String, LossModel> downLoss = new ConcurrentHashMap<>();
    private final Map<String, LossModel> upLoss = new ConcurrentHashMap<>();
    public final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    /** Subscriptions made again after a reconnect. */
    public final AtomicInteger resubscribed = new AtomicInteger();
    /** Downlinks that reached the radio (lost on air or not). */
    public final AtomicInteger downlinks = new AtomicInteger();
    /** The first few reasons uplinks could not be published. */
    public final List<String> publishFailures = Collections.synchronizedList(new ArrayList<>());
    /** Uplinks lost because the broker was away. */
    public final AtomicInteger uplinksLost = new AtomicInteger();
    /** Frames the radio lost on air, each way. */
    public final AtomicInteger downlinksLostOnAir = new AtomicInteger();
    public final AtomicInteger uplinksLostOnAir = new AtomicInteger();
    /** DataFragments on air: all, and the coded ones (counter above M). */
    public final AtomicInteger fragments = new AtomicInteger();
    public final AtomicInteger codedFragments = new AtomicInteger();
    /** Airtime of every downlink, and of the fragments alone, at the data rate. */
    public final AtomicLong airtimeMicros = new AtomicLong();
    public final AtomicLong fragmentAirtimeMicros = new AtomicLong();
    /** Multicast frames on air, and how often a device of the group dropped one for keys not its own. */
    public final AtomicInteger multicastFrames = new AtomicInteger();
    public final AtomicInteger multicastKeyMismatches = new AtomicInteger();
    /** Group frames that reached a device of the group before its McGroupSetupReq did. */
    public final AtomicInteger multicastNotSetUp = new AtomicInteger();
    /** Receptions of multicast frames lost on air: a frame to a group of 20 may be lost for several of them. */
    public final AtomicInteger multicastReceptionsLost = new AtomicInteger();
    private volatile Duration absentAfterReconnect = Duration.ZERO;

    /** A lossless radio at EU868 DR5. */
    public ChirpstackRadio(String uri, String app, Map<String, SimulatedDevice> devices, ScaledClock clock)
            throws MqttException {
        this(uri, app, devices, clock, org.updraft.transport.lorawan.internal.radio.Region.EU868.dataRate(5),
                new Random(1));
    }

    /**
     * @param dataRate the downlinks' data rate, for their airtime
     * @param random the radio's losses (a seed replays them)
     */
    public ChirpstackRadio(String uri, String app, Map<String, SimulatedDevice> devices, ScaledClock clock,
            DataRate dataRate, Random random) throws MqttException {
        this.dataRate = dataRate;
        this.random = random;
        this.app = app;
        this.devices = devices;
        this.clock = clock;
        client = new MqttClient(uri, "chirpstack-sim-" + app, new MemoryPersistence());
        String subscription = "application/" + app + "/device/+/command/down";
        client.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                byte[] payload = message.getPayload();
                radio.execute(() -> downlink(topic, payload));
            }

            @Override
            public void connectComplete(boolean reconnect, String serverUri) {
                if (reconnect) {
                    // not on Paho's callback thread, which must not block on a subscription's acknowledgement
                    radio.schedule(() -> resubscribe(subscription, 0), absentAfterReconnect.toMillis(),
                            TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public void disconnected(MqttDisconnectResponse response) {
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setAutomaticReconnect(true);
        options.setAutomaticReconnectDelay(1, 2);
        client.connect(options);
        client.subscribe(subscription, 1);
    }

    /**
     * Subscribes again after a reconnect, as ChirpStack's integration does; while the broker is still settling (a
     * refusal, a connection lost again), tries again every 200 ms rather than stay deaf for the rest of the session.
     */
    private void resubscribe(String subscription, int attempt) {
        try {
            client.subscribe(subscription, 1);
            resubscribed.incrementAndGet();
        } catch (MqttException e) {
            if (attempt >= 50) {
                problems.add("resubscribe: " + e);
            } else if (!radio.isShutdown()) {
                radio.schedule(() -> resubscribe(subscription, attempt + 1), 200, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * After a reconnect, stays off the command topic this long, as ChirpStack restarting after the broker would: the
     * broker has nobody to pass downlinks to meanwhile.
     */
    public void absentAfterReconnect(Duration d) {
        absentAfterReconnect = d;
    }

    /** The device's radio flips a byte of the last uncoded fragment it hears. */
    public void tamper(String devEui) {
        tampered.add(devEui);
    }

    /** {@code devEui}'s radio loses downlinks and uplinks so. */
    public void loss(String devEui, LossModel down, LossModel up) {
        downLoss.put(devEui, down);
        upLoss.put(devEui, up);
    }

    // the radio thread only touches the devices
    private void downlink(String topic, byte[] payload) {
        Map<String, Object> json = JsonReader.object(JsonReader.parse(payload), "downlink");
        String devEui = (String) json.get("devEui");
        SimulatedDevice device = devices.get(devEui);
        if (device == null || !topic.equals("application/" + app + "/device/" + devEui + "/command/down")) {
            problems.add("downlink for " + devEui + " on " + topic);
            return;
        }
        downlinks.incrementAndGet();
        int port = ((Number) json.get("fPort")).intValue();
        byte[] frame = Base64.getDecoder().decode((String) json.get("data"));
        long airtime = dataRate.airtimeMicros(frame.length);
        airtimeMicros.addAndGet(airtime);
        if (port == Fragmentation.PORT) {
            count(devEui, frame, airtime);
        }
        if (port == Fragmentation.PORT && tampered.contains(devEui)) {
            frame = tampered(devEui, frame);
        }
        Instant at = clock.instant();
        if (downLoss.getOrDefault(devEui, NO_LOSS).lost(random, at)) {
            downlinksLostOnAir.incrementAndGet();
            return;
        }
        for (SimulatedDevice.Sent s : device.receive(port, frame, false, 0, at)) {
            long delayNanos = (long) (Duration.between(at, s.at()).toNanos() / clock.speedup());
            radio.schedule(() -> publishUplink(device, s.fPort(), s.frame(), 1), delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private static final LossModel NO_LOSS = LossModel.none();

    /**
     * A frame the network server sends once to the multicast group at {@code mcAddr} with the group's session keys:
     * every device of the group that is in range hears it, but only one that derived the same keys from its own
     * McRootKey and the McKey of its McGroupSetupReq passes it on (for the others its MIC fails), and only inside its
     * Class C window. On the radio's thread, as the unicast downlinks.
     */
    public void multicast(long mcAddr, McKeys.SessionKeys keys, Collection<String> group, int port, byte[] frame) {
        List<String> members = List.copyOf(group);
        radio.execute(() -> {
            downlinks.incrementAndGet();
            multicastFrames.incrementAndGet();
            long airtime = dataRate.airtimeMicros(frame.length);
            airtimeMicros.addAndGet(airtime);
            if (port == Fragmentation.PORT && !members.isEmpty()) {
                count(members.get(0), frame, airtime);
            }
            Instant at = clock.instant();
            for (String devEui : members) {
                SimulatedDevice device = devices.get(devEui);
                if (device == null) {
                    problems.add("multicast group member " + devEui + " is no simulated device");
                    continue;
                }
                if (downLoss.getOrDefault(devEui, NO_LOSS).lost(random, at)) {
                    multicastReceptionsLost.incrementAndGet();
                    continue;
                }
                McKeys.SessionKeys own = device.multicastKeys(mcAddr);
                if (own == null) {
                    // not set up for the group yet (a late joiner): the frame is not addressed to it
                    multicastNotSetUp.incrementAndGet();
                    continue;
                }
                if (!keys.matches(own)) {
                    multicastKeyMismatches.incrementAndGet();
                    continue;
                }
                for (SimulatedDevice.Sent s : device.receive(port, frame, true, mcAddr, at)) {
                    long delayNanos = (long) (Duration.between(at, s.at()).toNanos() / clock.speedup());
                    radio.schedule(() -> publishUplink(device, s.fPort(), s.frame(), 1), delayNanos,
                            TimeUnit.NANOSECONDS);
                }
            }
        });
    }

    // what a fragmentation downlink is: a session's setup (its M), or a fragment, coded when its counter is above M
    private void count(String devEui, byte[] frame, long airtime) {
        try {
            List<FuotaCommand> commands = ts004(devEui).decode(Direction.DOWNLINK, frame);
            for (FuotaCommand c : commands) {
                if (c instanceof FragSessionSetupReq setup) {
                    m.put(devEui, setup.nbFrag());
                } else if (c instanceof DataFragment f) {
                    fragments.incrementAndGet();
                    fragmentAirtimeMicros.addAndGet(airtime);
                    if (f.counter() > m.getOrDefault(devEui, Integer.MAX_VALUE)) {
                        codedFragments.incrementAndGet();
                    }
                }
            }
        } catch (FuotaCodecException e) {
            problems.add("undecodable fragmentation downlink: " + e.getMessage());
        }
    }

    // a v2.0.0 device's setups are longer: read with v1.0.0's codec they look like two commands, the second unknown
    private Fragmentation ts004(String devEui) {
        SimulatedDevice d = devices.get(devEui);
        return Fragmentation.of(d == null ? Ts004Version.V1_0_0 : d.ts004Version());
    }

    /** The M of {@code devEui}'s fragmentation session, 0 before its setup. */
    public int nbFrag(String devEui) {
        return m.getOrDefault(devEui, 0);
    }

    private byte[] tampered(String devEui, byte[] frame) {
        Fragmentation ts004 = ts004(devEui);
        try {
            List<FuotaCommand> commands = ts004.decode(Direction.DOWNLINK, frame);
            if (commands.size() == 1 && commands.get(0) instanceof FragSessionSetupReq setup) {
                nbFrag.put(devEui, setup.nbFrag());
            } else if (commands.size() == 1 && commands.get(0) instanceof DataFragment f
                    && nbFrag.containsKey(devEui) && f.counter() == nbFrag.get(devEui)) {
                byte[] data = f.payload();
                data[0] ^= 0x01;
                return ts004.encode(new DataFragment(f.fragIndex(), f.counter(), data));
            }
        } catch (FuotaCodecException e) {
            problems.add("undecodable fragmentation downlink: " + e.getMessage());
        }
        return frame;
    }

    /** Tries of a confirmed uplink, as LoRaWAN's default NbTrans for confirmed frames allows. */
    private static final int CONFIRMED_TRIES = 8;

    private void publishUplink(SimulatedDevice device, int fPort, byte[] frame, int attempt) {
        if (upLoss.getOrDefault(device.devEui(), NO_LOSS).lost(random, clock.instant())) {
            // the device sent it (its frame counter moves on); no gateway heard it
            device.takeFCnt();
            uplinksLostOnAir.incrementAndGet();
            // FUOTA answers are unconfirmed (the session asks again); anything else, a report, is sent confirmed:
            // without the network's acknowledgement the device sends it again a few seconds later
            boolean fuota = fPort >= MulticastSetup.PORT && fPort <= ClockSync.PORT;
            if (!fuota && attempt < CONFIRMED_TRIES && !radio.isShutdown()) {
                long delayNanos = (long) ((2_000_000_000L + random.nextInt(2_000_000_000)) / clock.speedup());
                radio.schedule(() -> publishUplink(device, fPort, frame, attempt + 1), delayNanos,
                        TimeUnit.NANOSECONDS);
            }
            return;
        }
        String json = "{\"deviceInfo\":{\"applicationId\":\"" + app + "\",\"devEui\":\"" + device.devEui()
                + "\"},\"fCnt\":" + device.takeFCnt() + ",\"fPort\":" + fPort + ",\"data\":\""
                + Base64.getEncoder().encodeToString(frame) + "\"}";
        try {
            client.publish("application/" + app + "/device/" + device.devEui() + "/event/up",
                    json.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (MqttException e) {
            // the broker is away: the frame is lost, as on the air
            if (uplinksLost.incrementAndGet() <= 5) {
                publishFailures.add(e.toString());
            }
        }
    }

    @Override
    public void close() throws Exception {
        radio.shutdownNow();
        try {
            if (client.isConnected()) {
                client.disconnect();
            }
        } finally {
            client.close();
        }
    }
}
