package org.updraft.platform.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.backend.BackendChoice;

/**
 * The running backends of one capability (every ledger, or every trust store, ...) and which of them the
 * configuration chose, by kind. Forwarding services ask {@link #chosen()} on every call, so a backend that stops,
 * starts or is swapped changes what the next call reaches and nothing else: no consumer is restarted.
 *
 * @param <S> the backend's service type
 */
final class BackendSelection<S> {

    private static final Logger LOG = LoggerFactory.getLogger(BackendSelection.class);
    private static final Pattern KIND_SYNTAX = Pattern.compile("[a-z0-9][a-z0-9._-]*");

    /** A running backend with the service properties that rank it. */
    private record Candidate<S>(S service, String kind, int ranking, long serviceId) {
    }

    private final String capability;
    private final String kindProperty;
    private final String configKey;
    private final BooleanSupplier shuttingDown;
    private final List<Candidate<S>> candidates = new CopyOnWriteArrayList<>();
    private volatile String kind;
    private volatile S chosen;
    /** What was last logged, so that each change of what serves is said once. */
    private String lastSaid;
    private boolean everRan;

    /**
     * @param capability {@code ledger}, {@code trust} or {@code registry}: the name in messages and in
     *        {@link BackendChoice}
     * @param kindProperty the service property telling the backends apart, e.g. {@code ledger.kind}
     * @param configKey the key of {@code org.updraft.backends} that chooses
     * @param shuttingDown whether the framework stops (backends leaving then are no news)
     */
    BackendSelection(String capability, String kindProperty, String configKey, BooleanSupplier shuttingDown) {
        this.capability = capability;
        this.kindProperty = kindProperty;
        this.configKey = configKey;
        this.shuttingDown = shuttingDown;
    }

    /**
     * Validates a configured kind.
     *
     * @throws IllegalArgumentException naming the key when the value is empty or not a kind
     */
    String checkKind(String value) {
        String v = value == null ? "" : value.strip();
        if (!KIND_SYNTAX.matcher(v).matches()) {
            throw new IllegalArgumentException(configKey + " in " + BackendSwitch.PID + " is '" + v + "': name a "
                    + kindProperty + " such as " + BackendSwitch.defaultKind(capability));
        }
        return v;
    }

    /** Chooses the kind (already checked); takes effect at once. */
    void choose(String newKind) {
        this.kind = newKind;
        rechoose();
    }

    void add(S service, Map<String, Object> properties) {
        Object k = properties.get(kindProperty);
        candidates.add(new Candidate<>(service, String.valueOf(k),
                properties.get("service.ranking") instanceof Integer i ? i : 0,
                ((Number) properties.get("service.id")).longValue()));
        rechoose();
    }

    void remove(S service) {
        candidates.removeIf(c -> c.service() == service);
        rechoose();
    }

    /** The chosen kind's backend, or {@code null} while none of that kind runs. */
    S chosen() {
        return chosen;
    }

    String kind() {
        return kind;
    }

    /** The one line a call gets while the chosen backend is not running. */
    String notRunning() {
        String k = kind;
        return "the " + capability + " backend '" + k + "' is not running: install feature "
                + BackendSwitch.feature(capability, k) + " (and configure it), or choose another with " + configKey
                + " in " + BackendSwitch.PID;
    }

    BackendChoice describe() {
        String k = kind;
        S s = chosen;
        return new BackendChoice(capability, k, s != null, BackendSwitch.feature(capability, k),
                s != null ? capability + " " + k + " runs" : notRunning());
    }

    /** The running backend of the chosen kind: highest ranking, then oldest, as OSGi picks a service. */
    private synchronized void rechoose() {
        String k = kind;
        if (k == null) {
            return; // a backend bound before the configuration was read
        }
        chosen = candidates.stream().filter(c -> c.kind().equals(k))
                .min(Comparator.comparingInt((Candidate<S> c) -> c.ranking()).reversed()
                        .thenComparingLong(Candidate::serviceId))
                .map(Candidate::service).orElse(null);
        String said = chosen != null ? capability + ": " + k + " serves" : notRunning();
        if (said.equals(lastSaid)) {
            return;
        }
        lastSaid = said;
        if (chosen != null) {
            everRan = true;
            LOG.info("Backend {}", said);
        } else if (shuttingDown.getAsBoolean()) {
            LOG.debug("Backend {} (shutting down)", said);
        } else if (everRan) {
            LOG.warn("Backend {}; calls fail as unavailable until it runs", said);
        } else {
            LOG.info("Backend {} yet (waiting for it to start)", capability + ": " + k + " is not running");
        }
    }
}
