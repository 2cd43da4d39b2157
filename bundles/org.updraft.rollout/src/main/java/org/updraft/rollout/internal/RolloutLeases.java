package org.updraft.rollout.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.Lease;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.rollout.RolloutState;

/**
 * On a ledger several nodes share, the lease of each running rollout ({@link RolloutEngine#stateKey}): at every
 * round this node claims (or renews) the leases it can and reviews those rollouts ({@link RolloutEngine#review}).
 * A rollout's decisions are taken where its reports arrive; the lease makes sure that one node also looks on its
 * own, so that nothing waits for a report that will not come when the node that took the last one died before
 * deciding. The node that holds a lease may die too: another claims it once it lapsed. On a ledger only this node
 * writes there are no leases, and no rounds do anything.
 */
final class RolloutLeases implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutLeases.class);

    private final RolloutEngine engine;
    /** The leases this node holds, by rollout id; touched by one round at a time. */
    private final Map<String, Lease> held = new HashMap<>();
    /** Whether the last round failed: the first failure is a WARN, the ones after it DEBUG. */
    private boolean failing;

    RolloutLeases(RolloutEngine engine) {
        this.engine = engine;
    }

    /** One round; never throws (a periodic task that throws is not run again). */
    @Override
    public synchronized void run() {
        Optional<DecisionLeases> shared = engine.ledger.decisions();
        if (shared.isEmpty()) {
            held.clear(); // a ledger only this node writes: nothing to do, not even to tell
            return;
        }
        try {
            round(shared.get());
            if (failing) {
                LOG.info("Rollout leases are claimed and reviewed again");
            }
            failing = false;
        } catch (LedgerException | RegistryException e) {
            if (!failing) {
                LOG.warn("Rollout leases: {}; other nodes take the rollouts over once their leases lapse", e.getMessage());
            } else {
                LOG.debug("Rollout leases: {}", e.getMessage());
            }
            failing = true;
        } catch (RuntimeException e) {
            LOG.error("Rollout leases: the round failed", e);
        } finally {
            engine.tellListeners();
        }
    }

    private void round(DecisionLeases leases) throws LedgerException, RegistryException {
        List<String> running = new ArrayList<>();
        synchronized (engine) {
            engine.catchUp();
            for (RolloutRecord r : engine.book().rollouts()) {
                if (r.state() == RolloutState.RUNNING) {
                    running.add(r.id());
                }
            }
        }
        // a rollout that no longer runs needs no one to look at it: its lease goes back at once
        for (var it = held.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, Lease> e = it.next();
            if (!running.contains(e.getKey())) {
                it.remove();
                leases.release(e.getValue());
            }
        }
        for (String id : running) {
            Optional<Lease> lease = leases.claim(RolloutEngine.stateKey(id)); // outside the engine's lock: a round trip
            if (lease.isEmpty()) {
                held.remove(id);
                continue;
            }
            Lease previous = held.put(id, lease.get());
            if (previous == null || previous.token() != lease.get().token()) {
                LOG.info("Node {} holds the lease of rollout {} (token {}) and reviews it", leases.nodeId(), id,
                        lease.get().token());
            }
            synchronized (engine) {
                engine.catchUp();
                RolloutRecord r = engine.book().rollout(id);
                if (r != null && r.state() == RolloutState.RUNNING) {
                    engine.review(r, lease.get());
                }
            }
        }
    }

    /** Gives back the leases this node holds (it stops), so that another node need not wait for them to lapse. */
    synchronized void releaseAll() {
        Optional<DecisionLeases> shared = engine.ledger.decisions();
        for (Lease lease : held.values()) {
            try {
                if (shared.isPresent()) {
                    shared.get().release(lease);
                }
            } catch (LedgerException e) {
                LOG.debug("Could not give back lease {}: {}; it lapses by itself", lease.name(), e.getMessage());
            }
        }
        held.clear();
    }
}
