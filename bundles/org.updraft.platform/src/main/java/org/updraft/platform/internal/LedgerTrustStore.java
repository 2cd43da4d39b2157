package org.updraft.platform.internal;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.event.TrustHistory;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.log.LedgerFollower;
import org.updraft.core.log.SnapshotView;
import org.updraft.core.manifest.Manifest;

/**
 * Trust kept on the ledger itself: every change is appended as a trust event, and the current state is the
 * replay of those events. Nothing else is stored, so the ledger is the single source of truth and anyone
 * holding it can rebuild the same trust state.
 */
@Component(service = TrustStore.class, property = TrustStore.KIND + "=ledger", configurationPid = LedgerTrustStore.PID)
@Designate(ocd = LedgerTrustStore.Config.class)
public final class LedgerTrustStore implements TrustStore {

    /** Configuration PID: etc/org.updraft.trust.cfg. */
    public static final String PID = "org.updraft.trust";

    @ObjectClassDefinition(name = "Updraft trust store (on the ledger)",
            description = "Manufacturer keys trusted to sign releases, recorded as ledger events.")
    public @interface Config {
    }

    private static final Logger LOG = LoggerFactory.getLogger(LedgerTrustStore.class);

    private final Ledger ledger;
    private final TrustHistory keys = new TrustHistory();
    private final LedgerFollower follower;
    private boolean everCaughtUp;

    @Activate
    public LedgerTrustStore(@Reference(name = "ledger", target = Ledger.SELECTED) Ledger ledger) {
        this.ledger = ledger;
        this.follower = new LedgerFollower(ledger, new SnapshotView() {
            @Override
            public String snapshotName() {
                return "trust";
            }

            @Override
            public int snapshotVersion() {
                return 1;
            }

            @Override
            public Object snapshotState() {
                return keys.snapshotState();
            }

            @Override
            public void restoreState(Object state) throws CborException {
                keys.restoreState(state);
            }
        }, this::apply, keys::clear);
        // the ledger's backend may start after this component: it catches up at the first call then
        synchronized (this) {
            catchUpQuietly();
            LOG.info("Trust store ready: {} manufacturer keys from {} ledger events", keys.changed().size(),
                    follower.followed());
        }
    }

    @Override
    public synchronized TrustedKey register(String did, String vendor, Set<String> deviceClasses, String actor)
            throws TrustException {
        checkDid(did);
        try {
            Manifest.checkId("vendor id", vendor);
            for (String c : deviceClasses) {
                Manifest.checkId("device class id", c);
            }
        } catch (IllegalArgumentException e) {
            throw new TrustException(e.getMessage());
        }
        catchUpOrFail();
        TrustedKey known = keys.find(did).orElse(null);
        if (known != null) {
            throw new TrustException(did + " is already registered (" + describe(known) + ")");
        }
        return recordChange(EventTypes.KEY_REGISTERED, null, TrustEvents.registered(did, vendor, deviceClasses, actor),
                null, did);
    }

    @Override
    public synchronized TrustedKey rotate(String did, String successorDid, byte[] proof, String actor)
            throws TrustException {
        VerificationKey oldKey = checkDid(did);
        checkDid(successorDid);
        catchUpOrFail();
        TrustedKey current = keys.find(did).orElse(null);
        if (current == null) {
            throw new TrustException(did + " is not a registered key");
        }
        if (current.status() != KeyStatus.ACTIVE) {
            throw new TrustException(did + " cannot be rotated: it is " + describe(current));
        }
        TrustedKey successor = keys.find(successorDid).orElse(null);
        if (successor != null) {
            throw new TrustException("the successor " + successorDid + " is already registered ("
                    + describe(successor) + ")");
        }
        byte[] payload = TrustEvents.checkedRotation(oldKey, did, successorDid, proof, actor);
        // with a proof the old key itself is the actor; without, the platform operator vouches
        return recordChange(EventTypes.KEY_ROTATED, proof != null ? did : null, payload, proof, did);
    }

    @Override
    public synchronized TrustedKey revoke(String did, String reason, String actor) throws TrustException {
        checkDid(did);
        catchUpOrFail();
        TrustedKey current = keys.find(did).orElse(null);
        if (current == null) {
            throw new TrustException(did + " is not a registered key");
        }
        if (current.status() == KeyStatus.REVOKED) {
            throw new TrustException(did + " is already revoked");
        }
        return recordChange(EventTypes.KEY_REVOKED, null, TrustEvents.revoked(did, reason, actor), null, did);
    }

    @Override
    public synchronized Optional<TrustedKey> find(String did) throws TrustException {
        catchUpOrAnswerFromReplay();
        return keys.find(did);
    }

    @Override
    public synchronized List<TrustedKey> list() throws TrustException {
        catchUpOrAnswerFromReplay();
        return keys.changed();
    }

    private TrustedKey recordChange(String type, String actor, byte[] payload, byte[] signature, String did)
            throws TrustException {
        try {
            // actor null: the platform acts, under the log's key
            ledger.append(new LedgerEvent(type, Instant.now(), actor != null ? actor : ledger.logKey(), payload,
                    signature));
            follower.catchUp();
        } catch (LedgerException e) {
            throw new TrustException("the ledger did not record the change: " + e.getMessage(), e);
        }
        return keys.find(did).orElse(null);
    }

    private static VerificationKey checkDid(String did) throws TrustException {
        try {
            return VerificationKey.fromDid(did);
        } catch (IllegalArgumentException e) {
            throw new TrustException(e.getMessage());
        }
    }

    private void catchUpOrFail() throws TrustException {
        try {
            follower.catchUp();
        } catch (LedgerException e) {
            throw new TrustException("cannot read the ledger: " + e.getMessage(), e);
        }
    }

    private void catchUpQuietly() {
        try {
            follower.catchUp();
            everCaughtUp = true;
        } catch (LedgerException e) {
            LOG.info("Trust store waits for the ledger: {}", e.getMessage());
        }
    }

    /**
     * A read answers from the events replayed so far when the ledger cannot be read now; but a trust store that never
     * read the ledger knows nothing, and says so rather than answer "not trusted" for every key.
     */
    private void catchUpOrAnswerFromReplay() throws TrustException {
        try {
            follower.catchUp();
            everCaughtUp = true;
        } catch (LedgerException e) {
            if (!everCaughtUp) {
                throw new TrustException("the trust store cannot read the ledger: " + e.getMessage(), e);
            }
            LOG.warn("Trust store answers from the events read so far: {}", e.getMessage());
        }
    }

    private void apply(LedgerEntry entry) {
        LedgerEvent event = entry.event();
        if (!event.type().startsWith("trust.")) {
            return;
        }
        Record change;
        try {
            change = TrustEvents.decode(event.type(), event.payload());
        } catch (CborException e) {
            // an event this version cannot read must not stop the platform; it is reported, not guessed at
            LOG.error("Ignoring unreadable trust event #{}: {}", entry.index(), e.getMessage());
            return;
        }
        try {
            keys.apply(change, event.time(), entry.index());
        } catch (TrustException e) {
            // a history without a base (no provisioned keys to look up) cannot fail to look one up
            throw new IllegalStateException(e);
        }
    }

    private static String describe(TrustedKey key) {
        return key.status().name().toLowerCase() + " for vendor " + key.vendor() + " since " + key.changed();
    }
}
