package org.updraft.ledger.evm.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.manifest.Manifest;

/**
 * Trust answered by the chain ({@code trust.kind=evm}): every {@link #find} reads the registry contract, so a key
 * revoked on chain, by a governance account directly and bypassing this platform, is refused at once. Changes made
 * here are trust events in the ledger like any other; they take effect when anchoring has put them on chain, which
 * each change waits for.
 *
 * <p>When the chain cannot be read, {@link #find} and {@link #list} throw {@link TrustException} with the reason
 * (the release verifier refuses as {@code trust-unavailable}, devices are told to retry): a key is never answered
 * as unknown, nor as active, from anything but the chain. A key last read <em>revoked</em> is the one exception:
 * the contract never changes a revoked key again, so that answer stays right however old, and it is given from
 * memory. An active key read before is not: a stale "active" is exactly what a revocation made on chain during the
 * outage would be missed by, and anyone able to cut the platform off its node could choose that moment. So
 * publishing stops while the chain cannot be read; to publish without it, switch trust back to {@code ledger}
 * (which does not see revocations made on chain directly).
 */
@Component(service = TrustStore.class, property = TrustStore.KIND + "=evm", configurationPid = EvmSettings.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class EvmTrustStore implements TrustStore {

    private static final Logger LOG = LoggerFactory.getLogger(EvmTrustStore.class);

    private final Ledger ledger;
    private final ChainAnchors anchors;
    private final JsonRpc rpc;
    private final Duration changeTimeout;
    /** Keys the contract said are revoked, a state it never leaves; cleared when the contract changes. */
    private final Map<String, TrustedKey> revoked = new ConcurrentHashMap<>();
    private volatile RegistryContract registry;
    private volatile boolean warnedOffline;

    @Activate
    public EvmTrustStore(EvmLedgerConfig config,
            @Reference(name = "ledger", target = "(ledger.kind=evm)") Ledger ledger,
            @Reference(name = "anchors") ChainAnchors anchors) {
        this(EvmSettings.from(config), ledger, anchors);
    }

    EvmTrustStore(EvmSettings settings, Ledger ledger, ChainAnchors anchors) {
        this.ledger = ledger;
        this.anchors = anchors;
        this.rpc = new JsonRpc(settings.rpcUrl(), Duration.ofSeconds(10));
        this.changeTimeout = settings.trustTimeout();
    }

    @Override
    public synchronized TrustedKey register(String did, String vendor, Set<String> deviceClasses,
            String actor)
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
        Optional<TrustedKey> known = readForChange(did);
        if (known.isPresent()) {
            throw new TrustException(did + " is already registered on chain (" + describe(known.get()) + ")");
        }
        return record(EventTypes.KEY_REGISTERED, platformKey(), TrustEvents.registered(did, vendor, deviceClasses, actor),
                null, did);
    }

    @Override
    public synchronized TrustedKey rotate(String did, String successorDid, byte[] proof, String actor)
            throws TrustException {
        VerificationKey oldKey = checkDid(did);
        checkDid(successorDid);
        TrustedKey current = readForChange(did)
                .orElseThrow(() -> new TrustException(did + " is not registered on chain"));
        if (current.status() != KeyStatus.ACTIVE) {
            throw new TrustException(did + " cannot be rotated: it is " + describe(current));
        }
        Optional<TrustedKey> successor = readForChange(successorDid);
        if (successor.isPresent()) {
            throw new TrustException("the successor " + successorDid + " is already registered ("
                    + describe(successor.get()) + ")");
        }
        byte[] payload = TrustEvents.checkedRotation(oldKey, did, successorDid, proof, actor);
        // the chain cannot check an Ed25519 or P-256 signature: it keeps the proof in its event for auditors
        return record(EventTypes.KEY_ROTATED, proof != null ? did : platformKey(), payload, proof, did);
    }

    @Override
    public synchronized TrustedKey revoke(String did, String reason, String actor) throws TrustException {
        checkDid(did);
        TrustedKey current = readForChange(did)
                .orElseThrow(() -> new TrustException(did + " is not registered on chain"));
        if (current.status() == KeyStatus.REVOKED) {
            throw new TrustException(did + " is already revoked");
        }
        return record(EventTypes.KEY_REVOKED, platformKey(), TrustEvents.revoked(did, reason, actor), null, did);
    }

    @Override
    public Optional<TrustedKey> find(String did) throws TrustException {
        try {
            Optional<TrustedKey> key = read(did);
            chainAnswers();
            return key;
        } catch (TrustException e) {
            chainSilent(e);
            TrustedKey known = revoked.get(did);
            if (known != null) {
                return Optional.of(known);
            }
            throw new TrustException("cannot tell whether " + did + " is trusted: " + e.getMessage(), e);
        }
    }

    @Override
    public List<TrustedKey> list() throws TrustException {
        try {
            RegistryContract r = registry();
            long count = r.manufacturerCount();
            List<TrustedKey> all = new ArrayList<>();
            for (long n = 0; n < count; n++) {
                read(r.manufacturerDid(n)).ifPresent(all::add);
            }
            chainAnswers();
            return all;
        } catch (ChainUnreachableException | JsonRpc.RpcError e) {
            TrustException failure = new TrustException("cannot read the chain: " + e.getMessage(), e);
            chainSilent(failure);
            throw failure;
        } catch (TrustException e) {
            chainSilent(e);
            throw e;
        }
    }

    private void chainAnswers() {
        if (warnedOffline) {
            warnedOffline = false;
            LOG.info("Trust store reads the chain again");
        }
    }

    private void chainSilent(TrustException e) {
        if (!warnedOffline) {
            warnedOffline = true;
            LOG.warn("Trust store cannot read the chain: {}. Until it can, releases are refused as trust-unavailable"
                    + " (keys known revoked stay revoked)", e.getMessage());
        }
    }

    /** The key as the chain holds it now, for a change: waits for the contract to be deployed first. */
    private Optional<TrustedKey> readForChange(String did) throws TrustException {
        long deadline = System.nanoTime() + changeTimeout.toNanos();
        while (anchors.contract().isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TrustException("interrupted while waiting for the registry contract");
            }
        }
        return read(did);
    }

    /** The log's key, the actor of changes the platform makes. */
    private String platformKey() throws TrustException {
        try {
            return ledger.logKey();
        } catch (LedgerException e) {
            throw new TrustException("the ledger is unavailable: " + e.getMessage(), e);
        }
    }

    /** The key as the chain holds it now. */
    private Optional<TrustedKey> read(String did) throws TrustException {
        try {
            Optional<TrustedKey> key = registry().manufacturer(did).map(EvmTrustStore::toTrustedKey);
            if (key.isPresent() && key.get().status() == KeyStatus.REVOKED) {
                revoked.put(did, key.get());
            }
            return key;
        } catch (ChainUnreachableException | JsonRpc.RpcError e) {
            throw new TrustException("cannot read the chain: " + e.getMessage(), e);
        }
    }

    private RegistryContract registry() throws TrustException {
        String address = anchors.contract().orElseThrow(() -> new TrustException(
                "the registry contract is not deployed yet"
                        + Optional.ofNullable(anchors.status().lastError()).map(e -> " (" + e + ")").orElse("")));
        RegistryContract r = registry;
        if (r == null || !r.address().equals(address)) {
            r = new RegistryContract(rpc, address);
            registry = r;
            revoked.clear(); // another contract knows other keys
        }
        return r;
    }

    private TrustedKey record(String type, String actor, byte[] payload, byte[] signature, String did)
            throws TrustException {
        AppendReceipt receipt;
        try {
            receipt = ledger.append(new LedgerEvent(type, Instant.now(), actor, payload, signature));
        } catch (LedgerException e) {
            throw new TrustException("the ledger did not record the change: " + e.getMessage(), e);
        }
        AnchorOutcome outcome;
        try {
            outcome = anchors.awaitAnchored(receipt.index(), changeTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrustException("interrupted while waiting for the chain; the change is ledger event #"
                    + receipt.index() + " and takes effect once anchored");
        }
        switch (outcome.state()) {
            case ANCHORED:
                return read(did).orElseThrow(() -> new TrustException("ledger event #" + receipt.index()
                        + " was anchored but the chain does not know " + did));
            case REFUSED:
                throw new TrustException("the chain refused the change (ledger event #" + receipt.index() + "): "
                        + outcome.detail());
            default:
                throw new TrustException("the change is ledger event #" + receipt.index() + " but is not on chain yet"
                        + (outcome.detail() != null ? " (" + outcome.detail() + ")" : "")
                        + "; it takes effect once anchored");
        }
    }

    static TrustedKey toTrustedKey(RegistryContract.ChainKey k) {
        KeyStatus status = switch (k.status()) {
            case ACTIVE -> KeyStatus.ACTIVE;
            case ROTATED -> KeyStatus.ROTATED;
            case REVOKED -> KeyStatus.REVOKED;
            case UNKNOWN -> throw new IllegalArgumentException("unknown key");
        };
        return new TrustedKey(k.did(), k.vendor(), new HashSet<>(k.deviceClasses()), status,
                Instant.ofEpochSecond(k.changedAt()), k.successor().isEmpty() ? null : k.successor(),
                status == KeyStatus.REVOKED ? k.reason() : null,
                k.logIndex() == RegistryContract.NOT_FROM_LOG ? -1 : k.logIndex());
    }

    private static VerificationKey checkDid(String did) throws TrustException {
        try {
            return VerificationKey.fromDid(did);
        } catch (IllegalArgumentException e) {
            throw new TrustException(e.getMessage());
        }
    }

    private static String describe(TrustedKey key) {
        return key.status().name().toLowerCase() + " for vendor " + key.vendor() + " since " + key.changed();
    }
}
