package org.updraft.storage.ipfs.internal;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.StoreException;
import org.updraft.core.work.Workers;

/**
 * Keeps the store's objects pinned at a remote pinning service as well, in the background: a put or pin asks for
 * a remote pin and returns at once; this class sends the request, follows its status until the service reports
 * it pinned, and retries with exponential backoff when the service cannot be reached or reports it failed. An
 * unpin deletes the object's requests at the service, also retried until it succeeds.
 *
 * <p>All of it runs on one scheduler thread of its own ({@code updraft-remote-pins-1}), which stops with the store
 * ({@link #close()}).
 */
final class RemotePins implements AutoCloseable {

    /** Where one object stands: the service's status, or {@code sending} until the service has the request. */
    static final class Pin {
        final Cid cid;
        final String name;
        volatile String requestId;
        volatile String status = "sending";
        volatile String error;
        int attempts;

        Pin(Cid cid, String name) {
            this.cid = cid;
            this.name = name;
        }
    }

    /** Our node's addresses, for the service to fetch from; empty when unknown. */
    @FunctionalInterface
    interface Origins {
        List<String> get() throws StoreException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(RemotePins.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);

    private final PinningService service;
    private final Origins origins;
    private final Duration poll;
    private final Duration maxBackoff;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentMap<Cid, Pin> pins = new ConcurrentHashMap<>();
    private final Set<Cid> removing = ConcurrentHashMap.newKeySet();
    private volatile String lastError;

    RemotePins(PinningService service, Origins origins, Duration poll, Duration maxBackoff) {
        this.service = service;
        this.origins = origins;
        this.poll = poll;
        this.maxBackoff = maxBackoff;
        this.scheduler = Workers.scheduler("updraft-remote-pins", 1);
    }

    URI endpoint() {
        return service.endpoint();
    }

    /** Asks for a remote pin of {@code cid} unless one is already under way; returns at once. */
    void request(Cid cid, String name) {
        Pin fresh = new Pin(cid, name);
        Pin existing = pins.putIfAbsent(cid, fresh);
        if (existing == null) {
            run(() -> send(fresh));
        }
    }

    /** Removes the remote pins of {@code cid} at the service; returns at once, retries in the background. */
    void remove(Cid cid) {
        Pin pin = pins.remove(cid);
        removing.add(cid);
        run(() -> delete(cid, pin == null ? null : pin.requestId, 0));
    }

    /** The status of {@code cid}'s remote pin as last seen, or {@code null} when none was asked for. */
    String status(Cid cid) {
        Pin pin = pins.get(cid);
        return pin == null ? null : pin.status;
    }

    /** One line for the store's status: how many objects stand where at the service. */
    String summary() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Pin p : pins.values()) {
            counts.merge(p.status, 1, Integer::sum);
        }
        StringBuilder out = new StringBuilder("remote pins at ").append(service.endpoint()).append(": ");
        List<String> parts = new ArrayList<>();
        for (String s : List.of("pinned", "pinning", "queued", "sending", "failed")) {
            parts.add(counts.getOrDefault(s, 0) + " " + s);
        }
        if (!removing.isEmpty()) {
            parts.add(removing.size() + " being removed");
        }
        out.append(String.join(", ", parts));
        String error = lastError;
        if (error != null) {
            out.append(" (last error: ").append(error).append(')');
        }
        return out.toString();
    }

    /** Stops at once: a request under way is interrupted; the service keeps what it was asked to pin. */
    @Override
    public void close() {
        Workers.stop(scheduler, Duration.ZERO);
    }

    private void send(Pin pin) {
        if (pins.get(pin.cid) != pin) {
            return; // unpinned meanwhile
        }
        try {
            List<String> from = originsQuietly();
            PinningService.PinStatus answer = service.add(pin.cid, pin.name, from);
            String replaced = pin.requestId;
            pin.requestId = answer.requestId();
            if (pins.get(pin.cid) != pin) {
                // unpinned while the request was on its way: take it back
                remove(pin.cid);
                return;
            }
            if (replaced != null) {
                quietlyDelete(replaced);
            }
            seen(pin, answer.status());
        } catch (StoreException e) {
            failed(pin, e.getMessage(), this::send);
        }
    }

    private void follow(Pin pin) {
        if (pins.get(pin.cid) != pin) {
            return;
        }
        try {
            seen(pin, service.get(pin.requestId).status());
        } catch (StoreException e) {
            failed(pin, e.getMessage(), this::follow);
        }
    }

    private void seen(Pin pin, String status) {
        String before = pin.status;
        pin.status = status;
        switch (status) {
            case "pinned" -> {
                pin.attempts = 0;
                pin.error = null;
                if (!"pinned".equals(before)) {
                    LOG.info("Pinning service {} pinned {}", service.endpoint(), pin.cid);
                }
            }
            case "failed" -> {
                // the service gave up; ask again (a new request) after the backoff
                pin.error = "the service reports the pin failed";
                LOG.warn("Pinning service {} failed to pin {} (request {}); asking again later", service.endpoint(),
                        pin.cid, pin.requestId);
                later(pin, backoff(pin.attempts++), this::send);
            }
            default -> later(pin, poll, this::follow); // queued or pinning
        }
    }

    private void failed(Pin pin, String message, Consumer<Pin> retry) {
        pin.error = message;
        lastError = message;
        Duration wait = backoff(pin.attempts++);
        if (pin.attempts == 1) {
            LOG.warn("Remote pin of {} not done yet, retrying in the background: {}", pin.cid, message);
        }
        later(pin, wait, retry);
    }

    private void delete(Cid cid, String knownRequest, int attempt) {
        if (pins.containsKey(cid)) {
            removing.remove(cid); // pinned again meanwhile
            return;
        }
        try {
            Set<String> requests = new LinkedHashSet<>();
            if (knownRequest != null) {
                requests.add(knownRequest);
            }
            // after a restart the request ids are known only to the service
            for (PinningService.PinStatus s : service.find(cid)) {
                requests.add(s.requestId());
            }
            for (String id : requests) {
                service.remove(id);
            }
            removing.remove(cid);
            LOG.info("Pinning service {} no longer pins {}", service.endpoint(), cid);
        } catch (StoreException e) {
            lastError = e.getMessage();
            Duration wait = backoff(attempt);
            schedule(() -> delete(cid, knownRequest, attempt + 1), wait);
        }
    }

    private void quietlyDelete(String requestId) {
        try {
            service.remove(requestId);
        } catch (StoreException e) {
            LOG.warn("Pinning service {}: could not delete the replaced request {}: {}", service.endpoint(),
                    requestId, e.getMessage());
        }
    }

    private List<String> originsQuietly() {
        try {
            return origins.get();
        } catch (StoreException e) {
            return List.of(); // the service can still find the object through the network
        }
    }

    private Duration backoff(int attempt) {
        long millis = FIRST_RETRY.toMillis() << Math.min(attempt, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }

    private void later(Pin pin, Duration wait, Consumer<Pin> step) {
        schedule(() -> step.accept(pin), wait);
    }

    private void run(Runnable task) {
        schedule(task, Duration.ZERO);
    }

    private void schedule(Runnable task, Duration wait) {
        try {
            scheduler.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("Remote pinning task failed", e);
                }
            }, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // the store is stopping; what is left is retried when it starts again and pins again
        }
    }
}
