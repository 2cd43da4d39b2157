package org.updraft.demo.internal.fleet;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.updraft.api.device.DeviceState;
import org.updraft.core.update.OfferVerifier;
import org.updraft.device.AgentFaults;
import org.updraft.device.CoapLink;
import org.updraft.device.DeviceAgent;
import org.updraft.device.DeviceAgentException;
import org.updraft.device.DeviceLink;
import org.updraft.device.FailoverLink;
import org.updraft.device.MqttLink;
import org.updraft.device.Provisioning;
import org.updraft.device.SimulatedDevice;
import org.updraft.device.UpdateOutcome;

/**
 * Runs a fleet of {@link DeviceAgent}s in this JVM against a running platform over real UDP (CoAP), through a real
 * MQTT broker, or both at once ({@link FleetTransport}), each agent doing
 * one update, with injected faults: lost datagrams, devices offline for a while, images corrupted in transit,
 * new images that do not boot. Progress listeners get per-state counts while it runs; {@link #run} ends with a
 * {@link FleetSummary}.
 *
 * <p>Agents are spread over a pool of CoAP endpoints ({@link FleetConfig.Builder#agentsPerEndpoint}) that share
 * a few threads; see {@link CoapLink} for why. Agents on MQTT have a connection each, as real devices have. A platform
 * of several nodes ({@link FleetConfig#builder(List)}) gets a CoAP link per node, the devices dealt out over them in
 * turn, each moving to the next node when its own stops answering ({@link FailoverLink}).
 */
public final class FleetSimulator implements AutoCloseable {

    private final FleetConfig config;
    private final List<SimulatedDevice> devices;
    private final List<Consumer<FleetProgress>> listeners = new CopyOnWriteArrayList<>();
    private final List<DeviceAgent> agents = new ArrayList<>();
    /** One CoAP link per platform node. */
    private final List<CoapLink> coapLinks = new ArrayList<>();
    /** The CoAP devices' link: the one node's, or a failover link over several. */
    private DeviceLink link;
    private FailoverLink failover;
    private MqttLink mqtt;
    /** The scheduler of the fleet's first link: progress reports, starts and the deadline run on it. */
    private DeviceLink timers;
    private volatile long startedNanos;
    /** Devices whose update ended without an outcome so far: refused by the platform, or stopped. */
    private final AtomicInteger endedWithoutOutcome = new AtomicInteger();

    public FleetSimulator(FleetConfig config, List<SimulatedDevice> devices) {
        this.config = Objects.requireNonNull(config, "config");
        this.devices = List.copyOf(devices);
        if (this.devices.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one device");
        }
    }

    /** Adds a listener told every progress interval and once at the end; it should return quickly. */
    public FleetSimulator onProgress(Consumer<FleetProgress> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Starts every device's update.
     *
     * @return completes when every device ended its update or was stopped at the deadline
     * @throws IllegalStateException when already started
     */
    public synchronized CompletableFuture<FleetSummary> start() {
        if (timers != null) {
            throw new IllegalStateException("the fleet is already started");
        }
        if (config.transport.usesCoap()) {
            int coapDevices = config.transport == FleetTransport.BOTH ? (devices.size() + 1) / 2 : devices.size();
            int endpoints = Math.max(1, (coapDevices + config.agentsPerEndpoint - 1) / config.agentsPerEndpoint);
            // devices are dealt out over the nodes: each node's link needs endpoints for its share only
            int perNode = Math.max(1, (endpoints + config.nodes.size() - 1) / config.nodes.size());
            try {
                for (int n = 0; n < config.nodes.size(); n++) {
                    CoapLink.Builder coap = CoapLink.builder(config.nodes.get(n)).threads(config.threads)
                            .lossShare(config.lossShare).seed(config.seed + 7919L * n).ackTimeout(config.ackTimeout);
                    coapLinks.add((config.dtlsKey != null ? coap.dtls(config.dtlsKey) : coap.endpoints(perNode))
                            .open());
                }
            } catch (RuntimeException e) {
                coapLinks.forEach(CoapLink::close);
                coapLinks.clear();
                throw e;
            }
            if (coapLinks.size() == 1) {
                link = coapLinks.get(0);
            } else {
                failover = new FailoverLink(coapLinks);
                link = failover;
            }
        }
        if (config.transport.usesMqtt()) {
            mqtt = MqttLink.builder(config.broker).threads(config.threads).maxPacketSize(config.mqttMaxPacketSize)
                    .open();
        }
        timers = link != null ? link : mqtt;
        Random random = new Random(config.seed);
        Map<String, byte[]> sharedImages = new ConcurrentHashMap<>();
        Map<String, OfferVerifier> verifiers = new ConcurrentHashMap<>();
        List<CompletableFuture<Object>> runs = new ArrayList<>();
        startedNanos = System.nanoTime();
        for (int i = 0; i < devices.size(); i++) {
            SimulatedDevice device = devices.get(i);
            DeviceLink deviceLink = config.transport.mqtt(i) ? mqtt : link;
            Provisioning p = device.provisioning();
            // devices provisioned with the same anchors share one verifier
            OfferVerifier verifier = verifiers.computeIfAbsent(p.logKeyDid() + " " + System.identityHashCode(
                    p.trust()), k -> new OfferVerifier(p.logKeyDid(), p.trust()));
            DeviceAgent agent = DeviceAgent.builder(device, deviceLink).blockSize(config.blockSize)
                    .pollInterval(config.pollInterval).faults(faults(random)).sharedImages(sharedImages)
                    .verifier(verifier).build();
            agents.add(agent);
            long delay = config.startSpread.isZero() ? 0 : (long) (random.nextDouble() * config.startSpread.toMillis());
            CompletableFuture<Object> run = new CompletableFuture<>();
            timers.scheduler().schedule(() -> {
                CompletableFuture<Void> ready = config.enroll ? agent.enroll() : CompletableFuture.completedFuture(null);
                ready.thenCompose(v -> agent.update()).whenComplete((outcome, error) -> {
                    if (error != null) {
                        endedWithoutOutcome.incrementAndGet();
                    }
                    run.complete(error != null ? error : outcome);
                });
            }, delay, TimeUnit.MILLISECONDS);
            runs.add(run);
        }
        ScheduledFuture<?> ticker = timers.scheduler().scheduleAtFixedRate(this::tell,
                config.progressInterval.toMillis(), config.progressInterval.toMillis(), TimeUnit.MILLISECONDS);
        ScheduledFuture<?> deadline = timers.scheduler().schedule(() -> agents.forEach(DeviceAgent::stop),
                config.deadline.toMillis(), TimeUnit.MILLISECONDS);
        return CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).thenApply(v -> {
            ticker.cancel(false);
            deadline.cancel(false);
            tell();
            return summary(runs);
        });
    }

    /** Starts the fleet and waits for its end. */
    public FleetSummary run() throws InterruptedException {
        try {
            return start().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the fleet run failed: " + e.getCause(), e.getCause());
        }
    }

    /** Stops every device at its next step; {@link #start()}'s future then completes. */
    public void stop() {
        List<DeviceAgent> all;
        synchronized (this) {
            all = List.copyOf(agents);
        }
        all.forEach(DeviceAgent::stop);
    }

    /** Where the fleet stands now. */
    public synchronized FleetProgress progress() {
        Map<DeviceState, Integer> states = new EnumMap<>(DeviceState.class);
        long bytes = 0;
        long retransmissions = 0;
        long retries = 0;
        for (DeviceAgent agent : agents) {
            states.merge(agent.state(), 1, Integer::sum);
            bytes += agent.bytesDownloaded();
            retransmissions += agent.retransmissions();
            retries += agent.blockRetries();
        }
        Duration elapsed = startedNanos == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - startedNanos);
        return new FleetProgress(elapsed, devices.size(), states, bytes, retransmissions, retries,
                coapLinks.stream().mapToLong(CoapLink::datagramsDropped).sum());
    }

    /**
     * Devices whose update has ended without an outcome so far: refused by the platform (an unknown device, say) or
     * stopped. Their state stays what it was when they ended; {@link FleetSummary#problems()} says why.
     */
    public int endedWithoutOutcome() {
        return endedWithoutOutcome.get();
    }

    /** Times a CoAP device moved to another platform node because its node did not answer; 0 with one node. */
    public long moves() {
        return failover == null ? 0 : failover.moves();
    }

    /**
     * How many CoAP devices are on each platform node now (at the end: where they ended), by node address as given,
     * in the order of the nodes; devices not started yet are on none.
     */
    public synchronized Map<InetSocketAddress, Integer> devicesPerNode() {
        Map<InetSocketAddress, Integer> perNode = new LinkedHashMap<>();
        config.nodes.forEach(node -> perNode.put(node, 0));
        if (coapLinks.isEmpty()) {
            return perNode;
        }
        for (int i = 0; i < agents.size(); i++) {
            if (config.transport.mqtt(i)) {
                continue;
            }
            int node = failover == null ? 0 : failover.nodeOf(agents.get(i).device().id()).orElse(-1);
            if (node >= 0) {
                perNode.merge(config.nodes.get(node), 1, Integer::sum);
            }
        }
        return perNode;
    }

    /** Each device's state now, by device id: to count by wave, region or tag. */
    public synchronized Map<String, DeviceState> deviceStates() {
        Map<String, DeviceState> states = new TreeMap<>();
        for (DeviceAgent agent : agents) {
            states.put(agent.device().id(), agent.state());
        }
        return states;
    }

    private void tell() {
        FleetProgress now = progress();
        for (Consumer<FleetProgress> listener : listeners) {
            listener.accept(now);
        }
    }

    private AgentFaults faults(Random random) {
        AgentFaults faults = AgentFaults.NONE;
        if (random.nextDouble() < config.bootFailureShare) {
            faults = faults.withImageFailingToBoot();
        }
        if (random.nextDouble() < config.corruptShare) {
            faults = faults.withCorruptBlock(random.nextInt(2));
        }
        if (random.nextDouble() < config.offlineShare) {
            faults = faults.withOfflineSpell(1 + random.nextInt(2), config.offlineFor);
        }
        return faults;
    }

    private FleetSummary summary(List<CompletableFuture<Object>> runs) {
        int updated = 0;
        int failed = 0;
        int rolledBack = 0;
        int unfinished = 0;
        Map<String, Integer> reasons = new TreeMap<>();
        Map<String, Integer> problems = new TreeMap<>();
        List<UpdateOutcome> outcomes = new ArrayList<>();
        long reportsUndelivered = 0;
        for (CompletableFuture<Object> run : runs) {
            Object result = run.join();
            if (result instanceof UpdateOutcome outcome) {
                outcomes.add(outcome);
                reportsUndelivered += outcome.reportsUndelivered();
                switch (outcome.state()) {
                case INSTALLED:
                    updated++;
                    break;
                case ROLLED_BACK:
                    rolledBack++;
                    reasons.merge(outcome.reason(), 1, Integer::sum);
                    break;
                default:
                    failed++;
                    reasons.merge(outcome.reason(), 1, Integer::sum);
                }
            } else {
                unfinished++;
                Throwable error = (Throwable) result;
                while (error.getCause() != null && !(error instanceof DeviceAgentException)) {
                    error = error.getCause();
                }
                String message = String.valueOf(error.getMessage());
                // "dev-0001: stopped" → "stopped": one line per kind of problem, not per device
                int colon = message.indexOf(": ");
                problems.merge(colon > 0 ? message.substring(colon + 2) : message, 1, Integer::sum);
            }
        }
        FleetProgress end = progress();
        long blockRequests = outcomes.stream().mapToLong(UpdateOutcome::blockRequests).sum();
        return new FleetSummary(devices.size(), updated, failed, rolledBack, unfinished, reasons, problems,
                end.elapsed(), end.bytesDownloaded(), blockRequests, end.blockRetries(), end.retransmissions(),
                end.datagramsDropped(), reportsUndelivered, outcomes);
    }

    /** Closes the fleet's UDP endpoints, MQTT connections and threads. */
    @Override
    public synchronized void close() {
        agents.forEach(DeviceAgent::stop);
        if (mqtt != null) {
            mqtt.close();
        }
        if (link != null) {
            link.close();
        }
    }
}
