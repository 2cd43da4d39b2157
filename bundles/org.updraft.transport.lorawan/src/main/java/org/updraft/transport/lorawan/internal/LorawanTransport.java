package org.updraft.transport.lorawan.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;

import org.eclipse.paho.mqttv5.common.MqttException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.transport.TransportStatus;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.api.update.listener.UpdateListener;
import org.updraft.core.config.DataPaths;
import org.updraft.core.manifest.Failure;
import org.updraft.core.net.BrokerAccess;
import org.updraft.core.serving.CountedRefusals;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;
import org.updraft.core.work.Workers;
import org.updraft.transport.lorawan.internal.chirpstack.ChirpstackApi;
import org.updraft.transport.lorawan.internal.chirpstack.ChirpstackBridge;
import org.updraft.transport.lorawan.internal.chirpstack.MulticastGroup;
import org.updraft.transport.lorawan.internal.chirpstack.Uplink;
import org.updraft.transport.lorawan.internal.fuota.Fragmentation;
import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.multicast.McKeys;
import org.updraft.transport.lorawan.internal.multicast.DeviceKeyFile;
import org.updraft.transport.lorawan.internal.radio.DutyCycleBudget;
import org.updraft.transport.lorawan.internal.radio.Region;
import org.updraft.transport.lorawan.internal.session.DeviceResult;
import org.updraft.transport.lorawan.internal.session.FuotaSession;
import org.updraft.transport.lorawan.internal.session.Participant;
import org.updraft.transport.lorawan.internal.session.ScaledClock;
import org.updraft.transport.lorawan.internal.session.SessionPlan;
import org.updraft.transport.lorawan.internal.session.SessionRunner;
import org.updraft.transport.lorawan.internal.update.ReportFrames;
import org.updraft.transport.lorawan.internal.update.UpdateBlock;

/**
 * The LoRaWAN transport: LoRaWAN devices cannot ask for updates as CoAP and MQTT devices do, so the platform asks
 * for them. Every scan it lists the registry's devices carrying the configured tag (their device id is their DevEUI),
 * asks the {@link UpdateService} what each should install, exactly as a device's check would, and runs one FUOTA
 * session for a group of devices offered the same rollout's release and the same payload: the image, or one recorded
 * delta (the group whose block is smallest per device first). The session is unicast through ChirpStack's MQTT
 * integration, or, with {@code multicast.enabled}, multicast to a group made through ChirpStack's API for the devices
 * that have a McRootKey. The session's data block ({@link UpdateBlock}) is the offer, the platform's statement naming
 * the session's devices, and the image or patch: each device verifies them itself before it installs. A device that
 * rebuilt the block is only <em>delivered</em>; it counts as updated when its own signed report arrives as uplinks
 * ({@link ReportFrames}) and the update service records it on the ledger. A device that does not report in time, or
 * whose session failed, is offered again after the retry interval.
 *
 * <p>Sessions run TS004 v1.0.0, or v2.0.0 for the device classes of {@code ts004.v2.classes}: then each device's
 * setup carries the block's MIC under its DataBlockIntKey ({@code ts004.keys.file}) and a SessionCnt kept in
 * {@code state.file}.
 *
 * <p>A broker outage pauses the running session (nothing sent, its clock stopped) until Paho has reconnected.
 */
@Component(service = TransportStatus.class, configurationPid = LorawanTransport.PID, immediate = true)
@Designate(ocd = LorawanTransportConfig.class)
public final class LorawanTransport implements TransportStatus {

    /** Configuration PID: etc/org.updraft.transport.lorawan.cfg. */
    public static final String PID = "org.updraft.transport.lorawan";

    private static final Logger LOG = LoggerFactory.getLogger(LorawanTransport.class);
    private static final String DEV_EUI = "[0-9a-fA-F]{16}";
    private static final int PAGE = 500;
    /** Draws each multicast session's McKey. */
    private static final SecureRandom RANDOM = new SecureRandom();
    /** In ts004.v2.classes: every device class. */
    private static final String ALL_CLASSES = "*";

    /** What became of one device's delivery, as far as this node knows. */
    public record Delivery(String deviceId, String releaseId, Stage stage, String reason, Instant at) {
    }

    /** Where a device's delivery stands. */
    public enum Stage {
        /** In a running session. */
        SENDING,
        /** The block is rebuilt; its report has not arrived. */
        AWAITING_REPORT,
        /** Its signed report is on the ledger saying it installed the release. */
        INSTALLED,
        /** Its signed report is on the ledger saying the update failed, with the device's reason. */
        REPORTED_FAILURE,
        /** The session failed for it (reason), or it never reported; it is offered again later. */
        UNDELIVERED
    }

    private final LorawanTransportConfig config;
    private final UpdateService updates;
    private final AtomicReference<DeviceRegistry> registry = new AtomicReference<>();
    private final AtomicReference<FirmwareStore> store = new AtomicReference<>();
    private final CountedRefusals refusals = new CountedRefusals(LorawanTransport.class, "LoRaWAN uplinks");
    private final ScheduledExecutorService sessions;
    private final ExecutorService reports;
    private final ReportFrames.Assembler assembler;
    private final ServiceRegistration<UpdateListener> listener;
    private final String clientId;
    private final Region region;
    private final Map<String, String> deviceIds = new ConcurrentHashMap<>();
    private final Map<String, Delivery> deliveries = new ConcurrentHashMap<>();
    /** What is kept of each device across restarts (state.file). */
    private final DeviceMemory memory;
    /**
     * Per device id, the checkpoint size of the block its last session sent and the size the transport knew it held
     * then: its report says whether it verified the one (installed) or lacked the proof from another.
     */
    private final Map<String, SentCheckpoint> sentCheckpoints = new ConcurrentHashMap<>();
    /** Devices not to offer again before the instant: waiting for a report, or after a failure. */
    private final Map<String, Instant> holdUntil = new ConcurrentHashMap<>();
    private volatile ChirpstackBridge bridge;
    /** ChirpStack's API for multicast groups; null when multicast.enabled is false. */
    private final ChirpstackApi multicastApi;
    /** A multicast group ChirpStack did not delete, for the status; null when none is left. */
    private volatile String groupLeft;
    /** Why the last multicast session could not start, until one does: the status shows it past later scans. */
    private volatile String multicastFailure;
    /** The device classes whose sessions run TS004 v2.0.0 (ts004.v2.classes); {@link #ALL_CLASSES} for all. */
    private final Set<String> v2Classes;
    /** Why ts004.keys.file could not be used, until it can: the status shows it past later scans. */
    private volatile String keyFileFailure;
    /** The devices held for want of a line in ts004.keys.file, until a session finds one: the status counts them. */
    private final Set<String> unkeyed = ConcurrentHashMap.newKeySet();
    private volatile SessionRunner running;
    private volatile String state;
    private volatile boolean closed;
    private volatile int pauses;

    @Activate
    public LorawanTransport(LorawanTransportConfig config, BundleContext context,
            @Reference(name = "updates") UpdateService updates) {
        this.config = config;
        this.updates = Objects.requireNonNull(updates, "updates");
        this.region = region(config.region());
        // the plan checks every radio setting once, here, so that a bad one fails the configuration, not a session
        plan();
        new DutyCycleBudget(region, DutyCycleBudget.DEFAULT_DUTY_CYCLE,
                Map.of(region.subBand(config.frequency_hz()).name(), config.duty_cycle()));
        if (config.report_port() < 1 || config.report_port() > 223 || config.report_port() >= 200
                && config.report_port() <= 202) {
            throw new IllegalArgumentException("report.port of " + PID + " must be an application port (1-223) "
                    + "other than FUOTA's 200-202, not " + config.report_port());
        }
        this.multicastApi = multicastApi(config);
        this.v2Classes = v2Classes(config);
        Path stateFile;
        try {
            stateFile = DataPaths.resolve(config.state_file());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("state.file of " + PID + " '" + config.state_file() + "' "
                    + e.getMessage(), e);
        }
        // a file it cannot read stops the transport: counters that went back would lock v2 devices out
        this.memory = DeviceMemory.open(stateFile);
        this.clientId = config.client_id() == null || config.client_id().isBlank()
                ? "updraft-fuota-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())
                : config.client_id().strip();
        this.assembler = new ReportFrames.Assembler(Duration.ofMinutes(config.report_timeout_minutes()));
        this.sessions = Workers.scheduler("updraft-lorawan", 1);
        this.reports = Workers.pool("updraft-lorawan-reports", 1, 10_000);
        if (config.application_id() == null || config.application_id().isBlank()) {
            state = null;
            LOG.info("LoRaWAN transport idle: set application.id in {} to reach ChirpStack", PID);
        } else {
            state = "connecting";
            long every = Math.max(1, config.scan_interval_seconds());
            sessions.scheduleWithFixedDelay(this::scan, 0, every, TimeUnit.SECONDS);
        }
        UpdateListener told = rolloutId -> scanSoon();
        this.listener = context == null ? null : context.registerService(UpdateListener.class, told, null);
    }

    /** Outside a framework: no listener is registered; call {@link #scanSoon} when answers change. */
    public LorawanTransport(LorawanTransportConfig config, UpdateService updates) {
        this(config, null, updates);
    }

    @Reference(name = "registry", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = DeviceRegistry.SELECTED)
    public void bindRegistry(DeviceRegistry bound) {
        registry.set(bound);
        // DS binds after the constructor ran: the first scan waits for what it needs
        scanSoon();
    }

    public void unbindRegistry(DeviceRegistry unbound) {
        registry.compareAndSet(unbound, null);
    }

    @Reference(name = "store", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = FirmwareStore.SERVING)
    public void bindStore(FirmwareStore bound) {
        store.set(bound);
        scanSoon();
    }

    public void unbindStore(FirmwareStore unbound) {
        store.compareAndSet(unbound, null);
    }

    @Deactivate
    public void close() {
        closed = true;
        if (listener != null) {
            try {
                listener.unregister();
            } catch (IllegalStateException e) {
                // unregistered already: the bundle is stopping
            }
        }
        Workers.stop(sessions, Duration.ofSeconds(2));
        Workers.stop(reports, Duration.ofSeconds(5));
        ChirpstackBridge b = bridge;
        if (b != null) {
            try {
                b.close();
            } catch (MqttException e) {
                LOG.debug("Closing the ChirpStack bridge failed", e);
            }
        }
    }

    @Override
    public String kind() {
        return "lorawan";
    }

    @Override
    public String status() {
        String link;
        ChirpstackBridge b = bridge;
        if (config.application_id() == null || config.application_id().isBlank()) {
            link = "idle: no application.id configured";
        } else if (b == null) {
            link = "not connected to " + config.broker_uri() + " as " + clientId;
        } else if (b.connected()) {
            link = "connected to " + config.broker_uri() + " as " + clientId;
        } else {
            link = "disconnected from " + config.broker_uri() + "; reconnecting";
        }
        String mc = multicastFailure;
        String keys = keyFileFailure;
        int held = unkeyed.size();
        return link + (state == null ? "" : "; " + state) + (mc == null ? "" : "; " + mc)
                + (keys == null ? "" : "; " + keys) + (held == 0 ? "" : "; " + held + " TS004 v2.0.0 device(s) held: "
                        + "no DataBlockIntKey in ts004.keys.file " + config.ts004_keys_file().strip())
                + (refusals.total() == 0 ? "" : "; refused " + refusals.counts());
    }

    /** Each device's latest delivery, by device id. */
    public Map<String, Delivery> deliveries() {
        return Map.copyOf(deliveries);
    }

    /** How often sessions paused for the broker, in all. */
    public int pauses() {
        SessionRunner r = running;
        return pauses + (r == null ? 0 : r.pauses());
    }

    /** Uplinks and frames refused or lost, by kind. */
    public Map<String, Long> refused() {
        return refusals.counts();
    }

    /** Looks for devices with an offer now (after the running session, if one runs). */
    public void scanSoon() {
        if (closed || registry.get() == null || store.get() == null || config.application_id() == null || config.application_id().isBlank()) {
            return;
        }
        try {
            sessions.execute(this::scan);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private static Region region(String name) {
        if (Region.EU868.name().equalsIgnoreCase(name == null ? "" : name.strip())) {
            return Region.EU868;
        }
        throw new IllegalArgumentException("region of " + PID + " must be EU868 (the only region defined), not "
                + name);
    }

    private SessionPlan plan() {
        return new SessionPlan(region, config.data_rate(), config.frequency_hz(),
                Ts004Version.V1_0_0, 0, config.fragment_size(), 0,
                config.redundancy(), 0, config.repair_rounds(), config.max_attempts(),
                Duration.ofSeconds(config.answer_timeout_seconds()), false, null);
    }

    /** The classes of ts004.v2.classes, checked at activation: they need ts004.keys.file. */
    private static Set<String> v2Classes(LorawanTransportConfig config) {
        Set<String> classes = new HashSet<>();
        for (String c : config.ts004_v2_classes().split(",")) {
            if (!c.isBlank()) {
                classes.add(c.strip());
            }
        }
        if (!classes.isEmpty() && config.ts004_keys_file().isBlank()) {
            throw new IllegalArgumentException("ts004.v2.classes of " + PID + " needs ts004.keys.file (each device's "
                    + "DataBlockIntKey)");
        }
        return Set.copyOf(classes);
    }

    /** The TS004 version of a group's session: its devices share the release, so its device class. */
    private Ts004Version version(Group group) {
        return v2Classes.contains(ALL_CLASSES) || v2Classes.contains(group.offer.release().deviceClass())
                ? Ts004Version.V2_0_0 : Ts004Version.V1_0_0;
    }

    /** The API client of a multicast configuration, checked whole at activation; null without multicast. */
    private static ChirpstackApi multicastApi(LorawanTransportConfig config) {
        if (!config.multicast_enabled()) {
            return null;
        }
        if (!config.multicast_address().strip().matches("[0-9a-fA-F]{8}")) {
            throw new IllegalArgumentException("multicast.address of " + PID + " must be a McAddr of 8 hex digits, "
                    + "not '" + config.multicast_address() + "'");
        }
        if (config.api_token_file().isBlank() || config.multicast_keys_file().isBlank()) {
            throw new IllegalArgumentException("multicast.enabled in " + PID + " needs api.token.file and "
                    + "multicast.keys.file");
        }
        return new ChirpstackApi(java.net.URI.create(config.api_uri().strip()), Path.of(config.api_token_file()
                .strip()));
    }

    /** The plan of a multicast session: the unicast plan's settings, group 0 at multicast.address, clocks checked. */
    private SessionPlan multicastPlan() {
        SessionPlan p = plan();
        return new SessionPlan(p.region(), p.dataRate(), p.frequencyHz(), p.version(), p.fragIndex(), p.fragSize(),
                p.descriptor(), p.redundancy(), p.blockAckDelay(), p.maxRepairRounds(), p.maxAttempts(),
                p.answerTimeout(), true, new SessionPlan.Multicast(0, Long.parseLong(config.multicast_address()
                        .strip(), 16), 0, 0xFFFF_FFFFL, 1));
    }

    // ---- sessions, on the sessions thread ----

    private void scan() {
        try {
            scanOnce();
        } catch (RuntimeException e) {
            LOG.warn("LoRaWAN scan failed: {}", e.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void scanOnce() throws InterruptedException {
        if (closed || !connected()) {
            return;
        }
        DeviceRegistry devices = registry.get();
        FirmwareStore images = store.get();
        if (devices == null || images == null) {
            state = "waiting for " + (devices == null ? "a device registry" : "a firmware store");
            return;
        }
        expireReports();
        Map<String, Group> groups = new LinkedHashMap<>();
        Instant now = Instant.now();
        try {
            String after = null;
            while (true) {
                List<Device> page = devices.list(DeviceFilter.ALL.withTags(Set.of(config.device_tag())), after, PAGE);
                for (Device d : page) {
                    consider(d, now, groups);
                }
                if (page.size() < PAGE) {
                    break;
                }
                after = page.get(page.size() - 1).id();
            }
        } catch (RegistryException e) {
            LOG.warn("LoRaWAN scan: the device registry failed: {}", e.getMessage());
            return;
        }
        Group next = groups.values().stream().min(Group.CHEAPEST_FIRST).orElse(null);
        if (next == null) {
            state = "no LoRaWAN device has an offer";
            return;
        }
        runSession(next, images);
    }

    private record Member(Device device, String devEui) {
    }

    /**
     * Devices offered the same rollout's release and the same payload: the full image, or one recorded delta (so one
     * base image). A unicast session sends each device every fragment of the block, so a session's air time is its
     * devices times its block: the order of sessions changes not the total but who waits. The group whose devices
     * cost the least air time each goes first (a delta group before a full one; among equals, the larger group), which
     * gives the shortest mean wait until a device is updated (Smith's rule) and never runs a full-image session of few
     * devices before a delta session of many.
     */
    private static final class Group {
        static final Comparator<Group> CHEAPEST_FIRST = Comparator
                .comparingLong(Group::payloadBytes).thenComparing(g -> -g.devices.size());

        /** The offer as its block carries it: with the delta sent, or none. */
        final UpdateAnswer.Offer offer;
        final byte[] answer;
        final List<Member> devices = new ArrayList<>();

        Group(UpdateAnswer.Offer offer) {
            this.offer = offer;
            this.answer = UpdateAnswers.encode(offer);
        }

        /** The recorded delta its devices share, or null for the full image. */
        Delta delta() {
            return offer.delta();
        }

        long payloadBytes() {
            return answer.length + (offer.delta() != null ? offer.delta().patchSize() : offer.release().size());
        }
    }

    private void consider(Device d, Instant now, Map<String, Group> groups) {
        if (!d.id().matches(DEV_EUI)) {
            refusals.refused("not-a-deveui", d.id() + " is tagged " + config.device_tag() + " but its id is no DevEUI");
            return;
        }
        Instant hold = holdUntil.get(d.id());
        if (hold != null && now.isBefore(hold)) {
            return;
        }
        UpdateAnswer answer;
        try {
            answer = updates.check(d.id(), d.installedSequence());
        } catch (UpdateException e) {
            LOG.debug("No answer for {}: {}", d.id(), e.getMessage());
            return;
        }
        if (!(answer instanceof UpdateAnswer.Offer offer)) {
            return;
        }
        Delivery last = deliveries.get(d.id());
        if (last != null && last.stage() == Stage.INSTALLED && offer.release().id().equals(last.releaseId())) {
            // its report of installing this release is on the ledger; the registry may not show it yet (a scan
            // racing the report would otherwise send the device the block again, which it refuses as not newer)
            return;
        }
        // devices offered one rollout's release and the same payload share a session and its block: the release event,
        // its proof and the checkpoint are the same facts for each of them, whichever device's answer carries them (a
        // later answer may carry a later checkpoint, no more true); a delta is the same for every device running its
        // base, so it shares a block with them only
        // a device that gave up this release's patch gets the image, as a CoAP device downloads it after a mismatch
        Delta delta = offer.release().id().equals(memory.of(d.id()).fullImageOnly()) ? null : offer.delta();
        String key = offer.rolloutId() + " " + offer.release().id() + (delta == null ? "" : " " + delta.patch());
        Group g = groups.computeIfAbsent(key, k -> new Group(withDelta(offer, delta)));
        if (g.devices.size() < Math.max(1, config.max_devices())) {
            g.devices.add(new Member(d, d.id().toLowerCase(Locale.ROOT)));
        }
    }

    /** The offer as a session's block carries it: with the delta sent (or none), and without a statement. */
    private static UpdateAnswer.Offer withDelta(UpdateAnswer.Offer offer, Delta delta) {
        return new UpdateAnswer.Offer(offer.rolloutId(), offer.release(), offer.releaseEvent(), offer.proof(),
                offer.checkpoint(), offer.anchor(), offer.tag(), delta, offer.trustChanges());
    }

    private void runSession(Group group, FirmwareStore images) throws InterruptedException {
        String releaseId = group.offer.release().id();
        Ts004Version version = version(group);
        // first, so that the statement names exactly the devices of the session
        Map<String, byte[]> intKeys = null;
        if (version == Ts004Version.V2_0_0) {
            intKeys = blockIntegrityKeys(group, releaseId);
            if (group.devices.isEmpty()) {
                return;
            }
        }
        GroupKeys mcKeys = multicastParticipants(group, releaseId);
        if (mcKeys == null && multicastApi != null && group.devices.isEmpty()) {
            return;
        }
        byte[] statement = statement(group);
        if (statement == null) {
            return;
        }
        byte[] block = group.delta() == null ? null : deltaBlock(group, images, statement);
        if (block == null) {
            block = imageBlock(group, images, statement);
            if (block == null) {
                return;
            }
        }
        // taken last, just before the session: a counter taken for a session that never starts is only skipped
        Map<String, Integer> counters = intKeys == null ? null : sessionCnts(group, releaseId);
        if (intKeys != null && counters == null) {
            return;
        }
        List<Participant> participants = new ArrayList<>();
        for (Member m : group.devices) {
            Participant p = new Participant(m.devEui, mcKeys == null ? null : mcKeys.encrypted().get(m.devEui));
            participants.add(counters == null ? p : p.withBlockIntegrity(intKeys.get(m.devEui),
                    counters.get(m.devEui)));
            deviceIds.put(m.devEui, m.device.id());
        }
        SessionPlan plan = (mcKeys == null ? plan() : multicastPlan()).withVersion(version);
        FuotaSession session;
        try {
            session = new FuotaSession(plan, block, participants, new DutyCycleBudget(region,
                    DutyCycleBudget.DEFAULT_DUTY_CYCLE, Map.of(region.subBand(config.frequency_hz()).name(),
                            config.duty_cycle())), refusals);
        } catch (IllegalArgumentException e) {
            LOG.warn("LoRaWAN: no session for {}: {}", releaseId, e.getMessage());
            hold(group.devices, releaseId, "no session: " + e.getMessage());
            return;
        }
        Instant now = Instant.now();
        for (Member m : group.devices) {
            deliveries.put(m.device.id(), new Delivery(m.device.id(), releaseId, Stage.SENDING, null, now));
        }
        ChirpstackBridge link = bridge;
        MulticastGroup mcGroup = null;
        if (plan.multicast() != null) {
            mcGroup = openGroup(plan, mcKeys.mcKey(), group, releaseId);
            if (mcGroup == null) {
                return;
            }
        }
        MulticastGroup toGroup = mcGroup;
        String running0 = (version == Ts004Version.V2_0_0 ? "TS004 v2.0.0 " : "")
                + (mcGroup == null ? "session for " : "multicast session (group " + mcGroup.id() + ") for ")
                + releaseId + ": " + participants.size() + " devices, " + block.length + " bytes in "
                + session.nbFrag() + " fragments";
        ScaledClock clock = new ScaledClock(Instant.now(), Math.max(1, config.clock_speedup()));
        SessionRunner runner = new SessionRunner(session, clock, t -> {
            if (!t.multicast()) {
                link.send(t);
                return;
            }
            try {
                toGroup.send(t);
                state = running0;
            } catch (SessionRunner.NotTaken e) {
                // the session pauses and sends the frame again; the operator sees why
                state = running0 + "; paused: " + e.getMessage();
                throw e;
            }
        }, link::connected, Duration.ofMinutes(config.max_outage_minutes()));
        state = running0;
        LOG.info("LoRaWAN: {}", state);
        running = runner;
        boolean finished = false;
        String broke = null;
        try {
            finished = runner.run(Duration.ofHours(config.session_timeout_hours()));
        } catch (InterruptedException e) {
            broke = "the transport stopped during the session";
            throw e;
        } catch (RuntimeException | Error e) {
            broke = "the session failed: " + e;
            LOG.error("LoRaWAN session for {} failed", releaseId, e);
            throw e;
        } finally {
            running = null;
            pauses += runner.pauses();
            closeGroup(mcGroup);
            // however the session ended, no device stays SENDING: those not done are offered again after the retry
            settle(session, runner, releaseId, finished, broke, mcGroup, counters);
        }
    }

    /**
     * Records how the session ended for each of its devices, and what the status shows of it. {@code counters}: each
     * device's SessionCnt in a TS004 v2.0.0 session, null in v1.0.0.
     */
    private void settle(FuotaSession session, SessionRunner runner, String releaseId, boolean finished, String broke,
            MulticastGroup mcGroup, Map<String, Integer> counters) {
        String groupFailure = mcGroup == null ? null : mcGroup.failure();
        FuotaSession.Report r = session.report();
        String ended = broke != null ? "ended: " + broke : finished ? "finished" : "ended unfinished";
        LOG.info("LoRaWAN session for {} {}: {} fragments sent ({} coded), {} repair rounds, paused {} times, {}",
                releaseId, ended, r.fragmentsSent(), r.codedSent(), r.repairRounds(), runner.pauses(),
                session.results());
        Instant end = Instant.now();
        Instant reportBy = end.plus(Duration.ofMinutes(config.report_timeout_minutes()));
        boolean jumped = false;
        for (DeviceResult result : session.results()) {
            String id = deviceIds.get(result.devEui());
            String jump = counters == null || result.state() != DeviceResult.State.FAILED || result.reason() == null
                    || !result.reason().endsWith(FuotaSession.SESSION_CNT_REPLAY) ? null
                    : jumpSessionCnt(id, result.devEui(), counters.get(result.devEui()));
            jumped |= jump != null;
            // a report that came before the session's last status round ended stands
            deliveries.computeIfPresent(id, (k, before) -> {
                if (before.stage() != Stage.SENDING) {
                    return before;
                }
                if (result.state() == DeviceResult.State.DONE) {
                    holdUntil.put(id, reportBy);
                    return new Delivery(id, releaseId, Stage.AWAITING_REPORT, null, end);
                }
                String why = (result.reason() != null ? result.reason()
                        : broke != null ? broke : "the session ended before the device did")
                        + (jump == null ? "" : "; " + jump);
                LOG.warn("LoRaWAN: {} did not get {}: {}", id, releaseId, why);
                // a device whose counter was jumped is offered again at once: its refusal cost one setup frame
                holdUntil.put(id, jump != null && jump.startsWith(JUMPED) ? end
                        : end.plus(Duration.ofMinutes(config.retry_minutes())));
                return new Delivery(id, releaseId, Stage.UNDELIVERED, why, end);
            });
        }
        if (jumped) {
            scanSoon();
        }
        state = "last session for " + releaseId + " " + ended
                + (groupFailure == null ? "" : " (" + groupFailure + ")") + (groupLeft == null ? "" : "; " + groupLeft);
    }

    private static final String JUMPED = "its next session carries SessionCnt ";

    /**
     * A device refused its SessionCnt as not above the last it accepted: its counter is ahead of state.file's (the
     * file was lost or restored). The next session carries the refused counter doubled ({@link
     * DeviceMemory#sessionCntRefused}), so the device is reached again without an operator. What its delivery says.
     */
    private String jumpSessionCnt(String deviceId, String devEui, int refused) {
        try {
            int next = memory.sessionCntRefused(devEui, refused);
            if (next < 0) {
                return "its SessionCnt is used up (65535 sessions): no further TS004 v2.0.0 session";
            }
            LOG.info("LoRaWAN: {} refused SessionCnt {}; its next session carries {}", deviceId, refused, next);
            return JUMPED + next;
        } catch (IOException e) {
            LOG.warn("LoRaWAN: cannot write state.file {} for {}: {}", config.state_file(), deviceId, e.toString());
            return "state.file " + config.state_file() + " cannot be written (" + e.getMessage()
                    + "): its SessionCnt could not be raised";
        }
    }

    /**
     * For a TS004 v2.0.0 session: each device's DataBlockIntKey by DevEUI, from ts004.keys.file, read at each session
     * start. A device without a line, or whose SessionCnt is used up, is taken out of the group and held, its delivery
     * saying why: no device is sent a v2.0.0 session without a MIC. A file that cannot be used holds every device of
     * the group and empties it (fail closed); null then.
     */
    private Map<String, byte[]> blockIntegrityKeys(Group group, String releaseId) {
        String file = config.ts004_keys_file().strip();
        Map<String, byte[]> keys;
        try {
            keys = DeviceKeyFile.read(Path.of(file), DeviceKeyFile.Kind.DATA_BLOCK_INT_KEY);
        } catch (IllegalArgumentException e) {
            LOG.warn("LoRaWAN: no TS004 v2.0.0 session for {}: {}", releaseId, e.getMessage());
            hold(group.devices, releaseId, "no TS004 v2.0.0 session: " + e.getMessage());
            keyFileFailure = "no TS004 v2.0.0 session for " + releaseId + ": " + e.getMessage();
            group.devices.clear();
            return null;
        }
        keyFileFailure = null;
        List<Member> missing = group.devices.stream().filter(m -> !keys.containsKey(m.devEui)).toList();
        List<Member> spent = group.devices.stream().filter(m -> keys.containsKey(m.devEui)
                && memory.of(m.devEui).sessionCnt() >= DeviceMemory.MAX_SESSION_CNT).toList();
        if (!missing.isEmpty()) {
            String why = "no DataBlockIntKey in ts004.keys.file " + file;
            LOG.warn("LoRaWAN: {} held from the TS004 v2.0.0 session for {}: {}",
                    missing.stream().map(m -> m.device.id()).toList(), releaseId, why);
            hold(missing, releaseId, "no TS004 v2.0.0 session: " + why);
        }
        for (Member m : group.devices) {
            if (keys.containsKey(m.devEui)) {
                unkeyed.remove(m.device.id());
            } else {
                unkeyed.add(m.device.id());
            }
        }
        if (!spent.isEmpty()) {
            LOG.warn("LoRaWAN: {} held from the TS004 v2.0.0 session for {}: SessionCnt used up",
                    spent.stream().map(m -> m.device.id()).toList(), releaseId);
            hold(spent, releaseId, "no TS004 v2.0.0 session: its SessionCnt is used up (65535 sessions)");
        }
        group.devices.removeAll(missing);
        group.devices.removeAll(spent);
        return keys;
    }

    /**
     * The next SessionCnt of each of the session's devices, recorded in state.file before it is returned; null (the
     * devices held with the reason) when the file cannot be written: a counter the file does not keep could go back.
     */
    private Map<String, Integer> sessionCnts(Group group, String releaseId) {
        try {
            return memory.nextSessionCnts(group.devices.stream().map(Member::devEui).toList());
        } catch (IOException | IllegalStateException e) {
            String why = e instanceof IOException ? "state.file " + config.state_file() + " cannot be written: "
                    + e.getMessage() : e.getMessage();
            LOG.warn("LoRaWAN: no TS004 v2.0.0 session for {}: {}", releaseId, why);
            hold(group.devices, releaseId, "no TS004 v2.0.0 session: " + why);
            state = "TS004 v2.0.0 session for " + releaseId + " not started: " + why;
            return null;
        }
    }

    /** A multicast session's McKey, and McKey_encrypted for each device by DevEUI. */
    private record GroupKeys(byte[] mcKey, Map<String, byte[]> encrypted) {
        // key material stays out of logs
        @Override
        public String toString() {
            return "GroupKeys[" + encrypted.keySet() + "]";
        }
    }

    /**
     * For a multicast configuration: McKey_encrypted by DevEUI for the group's devices that have a McRootKey in
     * multicast.keys.file, and the session's fresh random McKey; the devices without one are taken out of the
     * group, left to a later unicast session. Null for a unicast session: multicast is off, or no device has a key.
     * A key file that cannot be used ends the scan's session before it starts (fail closed): its devices are held
     * and the group emptied.
     */
    private GroupKeys multicastParticipants(Group group, String releaseId) {
        if (multicastApi == null) {
            return null;
        }
        Map<String, byte[]> rootKeys;
        try {
            rootKeys = DeviceKeyFile.read(Path.of(config.multicast_keys_file().strip()),
                    DeviceKeyFile.Kind.MC_ROOT_KEY);
        } catch (IllegalArgumentException e) {
            LOG.warn("LoRaWAN: no multicast session for {}: {}", releaseId, e.getMessage());
            hold(group.devices, releaseId, "no multicast session: " + e.getMessage());
            state = "no multicast session for " + releaseId + ": " + e.getMessage();
            multicastFailure = state;
            group.devices.clear();
            return null;
        }
        List<Member> keyed = group.devices.stream().filter(m -> rootKeys.containsKey(m.devEui)).toList();
        if (keyed.isEmpty()) {
            return null;
        }
        group.devices.retainAll(keyed);
        byte[] mcKey = new byte[16];
        RANDOM.nextBytes(mcKey);
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Member m : keyed) {
            out.put(m.devEui, McKeys.encryptedMcKey(McKeys.keyEncryptionKey(rootKeys.get(m.devEui)), mcKey));
        }
        return new GroupKeys(mcKey, out);
    }

    /** Creates the session's group in ChirpStack; null (its devices held, the state saying why) when that fails. */
    private MulticastGroup openGroup(SessionPlan plan, byte[] mcKey, Group group, String releaseId)
            throws InterruptedException {
        long mcAddr = plan.multicast().mcAddr();
        try {
            MulticastGroup opened = MulticastGroup.open(multicastApi, new ChirpstackApi.Group(
                    config.application_id().strip(), "updraft-fuota-" + releaseId, mcAddr,
                    McKeys.sessionKeys(mcKey, mcAddr), config.data_rate(), config.frequency_hz(), region.name()),
                    group.devices.stream().map(m -> m.devEui).toList());
            multicastFailure = null;
            return opened;
        } catch (ChirpstackApi.ApiException e) {
            LOG.warn("LoRaWAN: no multicast session for {}: {}", releaseId, e.getMessage());
            for (Member m : group.devices) {
                deliveries.remove(m.device.id());
            }
            hold(group.devices, releaseId, "no multicast session: " + e.getMessage());
            state = "multicast session for " + releaseId + " not started: " + e.getMessage();
            multicastFailure = state;
            return null;
        }
    }

    /** Deletes the session's group; when ChirpStack does not, the state says which group is left. */
    private void closeGroup(MulticastGroup g) {
        if (g == null) {
            return;
        }
        // a session ended by the component stopping (its thread interrupted) still deletes its group
        boolean interrupted = Thread.interrupted();
        try {
            g.close();
            groupLeft = null;
        } catch (ChirpstackApi.ApiException e) {
            groupLeft = "multicast group " + g.id() + " left in ChirpStack: " + e.getMessage();
            LOG.warn("LoRaWAN: {}", groupLeft);
        } catch (InterruptedException e) {
            interrupted = true;
            groupLeft = "multicast group " + g.id() + " left in ChirpStack: stopped while deleting it";
            LOG.warn("LoRaWAN: {}", groupLeft);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The platform's statement that the group's offer is for exactly its devices, in this session, for as long as a
     * session may take: the block carries it instead of an answer's statement, which names one device and its
     * request. Null (the devices held for a retry) when the update service cannot sign it.
     */
    private byte[] statement(Group group) {
        byte[] sessionId = new byte[8];
        ThreadLocalRandom.current().nextBytes(sessionId);
        try {
            return updates.sessionStatement(group.devices.stream().map(m -> m.device.id()).toList(), group.offer,
                    sessionId, Duration.ofHours(config.session_timeout_hours()));
        } catch (UpdateException e) {
            String releaseId = group.offer.release().id();
            LOG.warn("LoRaWAN: no session for {}: the platform signs no statement for it ({})", releaseId,
                    e.getMessage());
            hold(group.devices, releaseId, "no session statement: " + e.getMessage());
            return null;
        }
    }

    /**
     * The block of a delta group: its offer with the delta, and the patch read from the store by CID as CoAP serves
     * it. Null when the store cannot produce the patch (missing, unreadable, another size than recorded): the group
     * then gets the full image.
     */
    private byte[] deltaBlock(Group group, FirmwareStore images, byte[] statement) {
        Delta delta = group.delta();
        byte[] patch;
        try {
            patch = stored(images, delta.patch(), delta.patchSize());
        } catch (Exception e) {
            LOG.warn("LoRaWAN: cannot read the patch of {} from the store ({}); its {} devices get the full image",
                    delta.label(), e.getMessage(), group.devices.size());
            return null;
        }
        return UpdateBlock.encode(UpdateBlock.Payload.DELTA, group.answer, statement, proofs(group), patch);
    }

    /** The block of the full image: the offer without a delta, then the image. Null when it cannot be sent. */
    private byte[] imageBlock(Group group, FirmwareStore images, byte[] statement) {
        UpdateAnswer.Offer offer = group.offer;
        String releaseId = offer.release().id();
        byte[] answer = offer.delta() == null ? group.answer : UpdateAnswers.encode(withDelta(offer, null));
        // TS004 counts at most 2^14-1 fragments, uncoded and coded: refused before a byte is read into memory
        long largest = (long) Fragmentation.MAX_FRAGMENTS * plan().effectiveFragSize() / 2;
        if (answer.length + offer.release().size() > largest) {
            LOG.warn("LoRaWAN: {} ({} bytes) is too large for a FUOTA session at DR{} (at most {} bytes with room for "
                    + "redundancy)", releaseId, offer.release().size(), config.data_rate(), largest);
            hold(group.devices, releaseId, "image too large for a FUOTA session");
            return null;
        }
        byte[] image;
        try {
            image = stored(images, offer.release().cid(), offer.release().size());
        } catch (Exception e) {
            LOG.warn("LoRaWAN: cannot read the image of {} from the store: {}", releaseId, e.getMessage());
            return null;
        }
        return UpdateBlock.encode(UpdateBlock.Payload.IMAGE, answer, statement, proofs(group), image);
    }

    /** The checkpoint size a device's block carried, and the size the transport knew it held (0: none). */
    private record SentCheckpoint(long sent, long known) {
    }

    /**
     * The consistency proofs the group's devices need to accept the offer's checkpoint (a LoRaWAN device cannot ask
     * for one): for each distinct checkpoint size remembered for them other than the offer's, the proof between the
     * two, from the smaller to the larger. At most {@link UpdateBlock#MAX_PROOFS}, the sizes most devices hold first;
     * a device whose proof is left out, or whose size is not known, reports {@code log-unproven} and installs nothing.
     * A proof the update service cannot give is left out and logged. Remembers what each device was sent.
     */
    private List<byte[]> proofs(Group group) {
        long offered = group.offer.checkpoint().treeSize();
        Map<Long, Integer> devicesBySize = new LinkedHashMap<>();
        for (Member m : group.devices) {
            long known = memory.of(m.devEui).checkpointSize();
            sentCheckpoints.put(m.device.id(), new SentCheckpoint(offered, known));
            if (known > 0 && known != offered) {
                devicesBySize.merge(known, 1, Integer::sum);
            }
        }
        List<Long> sizes = devicesBySize.keySet().stream()
                .sorted(Comparator.comparing((Long size) -> -devicesBySize.get(size)).thenComparing(size -> size))
                .toList();
        if (sizes.size() > UpdateBlock.MAX_PROOFS) {
            LOG.warn("LoRaWAN: the devices of {} hold checkpoints of {} sizes; the block proves the {} most held, the "
                    + "devices of the others ({}) are offered again after retry.minutes", group.offer.release().id(),
                    sizes.size(), UpdateBlock.MAX_PROOFS, sizes.subList(UpdateBlock.MAX_PROOFS, sizes.size()));
            sizes = sizes.subList(0, UpdateBlock.MAX_PROOFS);
        }
        List<byte[]> proofs = new ArrayList<>();
        for (long size : sizes) {
            long from = Math.min(size, offered);
            long to = Math.max(size, offered);
            try {
                proofs.add(UpdateAnswers.encodeConsistency(updates.consistency(from, to)));
            } catch (UpdateException e) {
                LOG.warn("LoRaWAN: no consistency proof from {} to {} events for the block of {} ({} {}); its "
                        + "devices report log-unproven", from, to, group.offer.release().id(), e.code(),
                        e.getMessage());
            }
        }
        return proofs;
    }

    /**
     * The object {@code cid} of the store, which the ledger records as {@code size} bytes: read whole into memory (a
     * session's block is), never more than one byte past that size.
     *
     * @throws IOException when the store holds another size
     */
    private static byte[] stored(FirmwareStore images, Cid cid, long size) throws Exception {
        byte[] bytes;
        try (InputStream in = images.get(cid)) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, size + 1));
        }
        if (bytes.length != size) {
            throw new IOException("the store holds " + bytes.length + " bytes for " + cid + ", the ledger says "
                    + size);
        }
        return bytes;
    }

    private void hold(Collection<Member> members, String releaseId, String why) {
        Instant now = Instant.now();
        for (Member m : members) {
            deliveries.put(m.device.id(), new Delivery(m.device.id(), releaseId, Stage.UNDELIVERED, why, now));
            holdUntil.put(m.device.id(), now.plus(Duration.ofMinutes(config.retry_minutes())));
        }
    }

    // a rebuilt block without a report is no update: the device is offered again later
    private void expireReports() {
        Instant now = Instant.now();
        for (String id : deliveries.keySet()) {
            deliveries.computeIfPresent(id, (k, d) -> {
                Instant hold = holdUntil.get(id);
                if (d.stage() != Stage.AWAITING_REPORT || hold == null || now.isBefore(hold)) {
                    return d;
                }
                LOG.warn("LoRaWAN: {} rebuilt {} but sent no report in {} minutes", id, d.releaseId(),
                        config.report_timeout_minutes());
                holdUntil.put(id, now.plus(Duration.ofMinutes(config.retry_minutes())));
                return new Delivery(id, d.releaseId(), Stage.UNDELIVERED, "no report", now);
            });
        }
    }

    /** Waits for the reports that are due; for tests and the shell: true when none is awaited any more. */
    public boolean awaitReports(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (deliveries.values().stream().noneMatch(d -> d.stage() == Stage.AWAITING_REPORT
                    || d.stage() == Stage.SENDING)) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Ends the wait for reports now, as the report timeout would (for tests; the next scan sees it). */
    void expireReportsNow() {
        for (Delivery d : deliveries.values()) {
            if (d.stage() == Stage.AWAITING_REPORT) {
                holdUntil.put(d.deviceId(), Instant.now());
            }
        }
        sessions.execute(this::expireReports);
    }

    private boolean connected() {
        ChirpstackBridge b = bridge;
        if (b == null) {
            try {
                b = new ChirpstackBridge(config.broker_uri(), clientId, config.application_id().strip(), this::uplink,
                        refusals, credentials(), tls());
                bridge = b;
                state = null;
                LOG.info("LoRaWAN transport connected to {} as {}", config.broker_uri(), clientId);
            } catch (MqttException | IllegalArgumentException e) {
                state = "cannot reach the broker (" + e.getMessage() + "); retrying every "
                        + config.scan_interval_seconds() + " s";
                return false;
            }
        }
        return b.connected();
    }

    /** The broker login of {@code credentials.file}, or null for none. */
    private BrokerAccess.Credentials credentials() {
        String file = config.credentials_file().strip();
        return file.isEmpty() ? null : BrokerAccess.credentials(Path.of(file));
    }

    /** The TLS trust of {@code tls.trust}, or null for the JVM's (an ssl:// broker) or none (tcp://). */
    private SSLContext tls() {
        String trust = config.tls_trust().strip();
        return trust.isEmpty() ? null : BrokerAccess.trusting(Path.of(trust), config.broker_uri());
    }

    // ---- uplinks, on Paho's thread: handed on at once ----

    private void uplink(Uplink u) {
        if (u.fPort() == config.report_port()) {
            try {
                reports.execute(() -> reportFrame(u));
            } catch (RejectedExecutionException e) {
                // stopping
            }
            return;
        }
        SessionRunner r = running;
        if (r == null) {
            refusals.refused("no-session", u + " while no session runs");
            return;
        }
        r.uplink(u);
    }

    /**
     * The registry id of a DevEUI: known from a session of this node, or looked up (a report may come after a
     * restart), as ChirpStack spells it or in upper case; only a device carrying the tag counts.
     */
    private String deviceId(String devEui) {
        String known = deviceIds.get(devEui);
        if (known != null) {
            return known;
        }
        DeviceRegistry devices = registry.get();
        if (devices == null) {
            return null;
        }
        try {
            for (String id : List.of(devEui, devEui.toUpperCase(Locale.ROOT))) {
                Device d = devices.find(id).orElse(null);
                if (d != null && d.tags().contains(config.device_tag())) {
                    deviceIds.put(devEui, d.id());
                    return d.id();
                }
            }
        } catch (RegistryException e) {
            LOG.debug("Looking up {} failed", devEui, e);
        }
        return null;
    }

    // on the reports thread: the assembler is its alone
    private void reportFrame(Uplink u) {
        byte[] whole;
        try {
            whole = assembler.accept(u.devEui(), u.data(), Instant.now()).orElse(null);
        } catch (IllegalArgumentException e) {
            refusals.refused("bad-report-frame", u.devEui() + ": " + e.getMessage());
            return;
        }
        if (whole == null) {
            return;
        }
        String deviceId = deviceId(u.devEui());
        if (deviceId == null) {
            refusals.refused("report-from-stranger", u.devEui() + " is no LoRaWAN device of the registry");
            return;
        }
        SignedReport parsed;
        try {
            parsed = DeviceReports.parse(whole);
        } catch (UpdateFormatException e) {
            refusals.refused("bad-report", deviceId + ": " + e.getMessage());
            return;
        }
        if (!parsed.report().deviceId().equals(deviceId)) {
            refusals.refused("report-of-another-device", u.devEui() + " sent a report about "
                    + parsed.report().deviceId());
            return;
        }
        ReportReceipt receipt;
        try {
            receipt = updates.report(whole);
        } catch (UpdateException e) {
            refusals.refused("report-refused", deviceId + ": " + e.code() + " " + e.getMessage());
            return;
        }
        DeviceState said = parsed.report().state();
        String reason = parsed.report().reason();
        if (said == DeviceState.DOWNLOADING && reason != null && reason.startsWith(UpdateBlock.LOG_UNPROVEN + ":")) {
            logUnproven(deviceId, u.devEui(), parsed.report().releaseId(), reason);
            return;
        }
        if (said == DeviceState.DOWNLOADING && reason != null
                && reason.startsWith(Failure.DELTA_MISMATCH.code())) {
            // it gave the patch up and still wants the release: the next session carries the full image
            String releaseId = parsed.report().releaseId();
            // it verified the block's checkpoint before it tried the patch
            rememberVerified(deviceId, u.devEui());
            remember(deviceId, m -> m.fullImageOnly(u.devEui(), releaseId));
            deliveries.put(deviceId, new Delivery(deviceId, releaseId, Stage.UNDELIVERED, reason, Instant.now()));
            holdUntil.remove(deviceId);
            LOG.info("LoRaWAN: {} gave up the patch of {} ({}); its next session carries the full image", deviceId,
                    releaseId, reason);
            scanSoon();
            return;
        }
        Stage stage = said == DeviceState.INSTALLED ? Stage.INSTALLED
                : said == DeviceState.FAILED || said == DeviceState.ROLLED_BACK ? Stage.REPORTED_FAILURE : null;
        if (stage == null) {
            return;
        }
        if (stage == Stage.INSTALLED) {
            rememberVerified(deviceId, u.devEui());
            remember(deviceId, m -> m.fullImageOnly(u.devEui(), null));
        }
        sentCheckpoints.remove(deviceId);
        deliveries.compute(deviceId, (k, before) -> {
            holdUntil.remove(deviceId);
            return new Delivery(deviceId, parsed.report().releaseId(), stage, parsed.report().reason(), Instant.now());
        });
        LOG.info("LoRaWAN: {} reported {} of {} (ledger index {})", deviceId, said.wireName(),
                parsed.report().releaseId(), receipt.ledgerIndex());
        if (stage == Stage.INSTALLED) {
            scanSoon();
        }
    }

    /**
     * A device that holds a checkpoint its block had no proof from: the size it names (its word, inside its signed
     * report) is remembered, and the next block carries the proof. When the transport knew that size already (the
     * update service gave no proof, or the block had no room for it) the device waits for retry.minutes instead of
     * the next scan, so that an unprovable size does not cost a session each scan.
     */
    private void logUnproven(String deviceId, String devEui, String releaseId, String reason) {
        long size;
        try {
            size = Long.parseLong(reason.substring(UpdateBlock.LOG_UNPROVEN.length() + 1).strip());
        } catch (NumberFormatException e) {
            size = -1;
        }
        if (size <= 0) {
            refusals.refused("bad-log-unproven", deviceId + " reported '" + reason + "', not a checkpoint size");
            return;
        }
        SentCheckpoint sent = sentCheckpoints.remove(deviceId);
        boolean knewIt = sent != null && sent.known() == size;
        long holds = size;
        remember(deviceId, m -> m.checkpointSize(devEui, holds));
        deliveries.put(deviceId, new Delivery(deviceId, releaseId, Stage.UNDELIVERED, reason, Instant.now()));
        if (knewIt) {
            holdUntil.put(deviceId, Instant.now().plus(Duration.ofMinutes(config.retry_minutes())));
            LOG.warn("LoRaWAN: {} still lacks the consistency proof from its checkpoint of {} events for {}; offered "
                    + "again in {} minutes", deviceId, size, releaseId, config.retry_minutes());
            return;
        }
        holdUntil.remove(deviceId);
        LOG.info("LoRaWAN: {} holds a checkpoint of {} events and had no proof from it for {}; its next session "
                + "carries the proof", deviceId, size, releaseId);
        scanSoon();
    }

    /**
     * Remembers the checkpoint a device verified in its last block: the device keeps the larger of the one it held
     * and the block's.
     */
    private void rememberVerified(String deviceId, String devEui) {
        SentCheckpoint sent = sentCheckpoints.get(deviceId);
        if (sent != null) {
            long size = Math.max(sent.sent(), memory.of(devEui).checkpointSize());
            remember(deviceId, m -> m.checkpointSize(devEui, size));
        }
    }

    private interface Change {
        void apply(DeviceMemory m) throws IOException;
    }

    /** Records a change of what is kept of a device; a state file that cannot be written is logged, not fatal. */
    private void remember(String deviceId, Change change) {
        try {
            change.apply(memory);
        } catch (IOException e) {
            LOG.warn("LoRaWAN: cannot write state.file {} for {}: {}", config.state_file(), deviceId, e.toString());
        }
    }
}
