package org.updraft.ledger.evm.internal;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.Lease;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.SignedManifest;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Follows the local log and anchors it on chain, on one thread of its own so that appends never wait for the
 * chain: trust events and releases one transaction each, checkpoints when {@code batch.size} events were appended
 * or {@code batch.interval} passed. When the chain cannot be reached it stops, and starts again from what the chain
 * says is anchored (the contract refuses an event index twice), so each event is anchored exactly once.
 *
 * <p>Nothing is read from the chain or the account key file before the first pass: the ledger starts whether or
 * not the node answers, and a key file put in place later is picked up at the next pass. Without a configured
 * {@code chain.id} the node's is taken at first contact; once the contract is deployed, {@code anchor.state} pins
 * it, and a node of another chain is refused.
 *
 * <p>On a ledger several nodes share (PostgreSQL), one node at a time anchors: the one holding the lease
 * {@value #LEASE}, which passes to another node when its holder stops or dies. The others stand by: they read from the
 * chain how far it got, so that waiting for an event to be anchored works on every node. The contract is deployed
 * once, by the lease holder, which records it in the ledger ({@value #CONTRACT_DEPLOYED}) for the other nodes; every
 * node needs the same account key file. Should two nodes ever send the same event (a lease lapsed mid-pass), the
 * contract refuses the second, which counts as anchored.
 */
final class Anchoring {

    private static final Logger LOG = LoggerFactory.getLogger(Anchoring.class);
    private static final int PAGE = 256;
    private static final int REMEMBERED_OUTCOMES = 4096;
    private static final String ALREADY_ANCHORED = "event already anchored";
    /** The lease under which one node at a time anchors a ledger that several nodes share. */
    static final String LEASE = "evm/anchoring";
    /** The ledger event by which the node that deployed the contract tells the others sharing the ledger. */
    static final String CONTRACT_DEPLOYED = "anchor.contract.deployed";

    private final Ledger local;
    private final EvmSettings settings;
    private final JsonRpc rpc;
    private final AnchorCursor cursor;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean passQueued = new AtomicBoolean();

    private volatile RegistryContract contract;
    /** The chain anchored to: configured, pinned in the cursor, or the node's at first contact; 0 until known. */
    private volatile long chainId;
    /** Signs the transactions; made at the first pass that can read the key file. */
    private volatile ChainAccount account;
    /** Set after an outage or at start: read back from the chain before sending anything. */
    private boolean synced;
    private long next; // next local-log event to examine; guarded by this
    private volatile long checkpointTreeSize = -1;
    private long lastCheckpointNanos = System.nanoTime();
    private volatile long transactions;
    private volatile long refused;
    private volatile boolean reachable;
    private volatile boolean stopping;
    private volatile String lastError;
    /** On a shared ledger, the node anchoring it while this one stands by; null when this one anchors. */
    private volatile String standingByFor;
    private volatile Instant lastErrorTime;
    private final Map<Long, AnchorOutcome> outcomes = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, AnchorOutcome> eldest) {
            return size() > REMEMBERED_OUTCOMES;
        }
    };
    /** Gas used by checkpoint transactions, for measurements. */
    private volatile long checkpointGas;

    Anchoring(Ledger local, EvmSettings settings, JsonRpc rpc, AnchorCursor cursor) {
        this.local = local;
        this.settings = settings;
        this.rpc = rpc;
        this.cursor = cursor;
        this.next = cursor.nextEvent();
        String configured = settings.contractAddress();
        String known = cursor.contract();
        this.chainId = settings.chainId();
        if (!configured.isEmpty()) {
            contract = new RegistryContract(rpc, configured);
        } else if (!known.isEmpty() && (settings.chainId() == 0 || cursor.chainId() == settings.chainId())) {
            contract = new RegistryContract(rpc, known);
            chainId = cursor.chainId();
        }
        // a thread of its own, not a shared scheduler: a pass blocks on the chain for up to receipt.timeout.seconds
        // per transaction. One thread, at most one queued wake-up (passQueued) besides the periodic pass; stop()
        // ends it
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "updraft-evm-anchoring");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        long tick = Math.max(200, Math.min(settings.batchInterval().toMillis(), settings.retry().toMillis()));
        thread.scheduleWithFixedDelay(this::pass, 0, tick, TimeUnit.MILLISECONDS);
    }

    void stop() {
        stopping = true;
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Anchoring did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks for a pass soon; returns at once. Called after every append. */
    void wake() {
        if (!passQueued.getAndSet(true)) {
            try {
                thread.execute(this::pass);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
    }

    Optional<RegistryContract> contract() {
        return Optional.ofNullable(contract);
    }

    /** The chain anchored to, 0 until known (see the class comment). */
    long chainId() {
        return chainId;
    }

    RegistryContract reader() {
        return contract;
    }

    long checkpointGas() {
        return checkpointGas;
    }

    synchronized AnchoringStatus status() {
        return new AnchoringStatus(next, Math.max(0, checkpointTreeSize), transactions, refused, reachable, lastError,
                lastErrorTime, standingByFor);
    }

    /** Waits until event {@code index} was examined, and says what became of it. */
    synchronized AnchorOutcome await(long index, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (next <= index) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return new AnchorOutcome(index, AnchorOutcome.State.PENDING, lastError);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        AnchorOutcome known = outcomes.get(index);
        return known != null ? known : new AnchorOutcome(index, AnchorOutcome.State.ANCHORED, null);
    }

    private void pass() {
        passQueued.set(false);
        try {
            if (!holdsLease()) {
                followOtherNode();
                return;
            }
            if (!ensureContract()) {
                return;
            }
            if (!synced) {
                syncFromChain();
            }
            anchorEvents();
            anchorCheckpointIfDue();
            reachable = true;
        } catch (ChainUnreachableException e) {
            fail(e.getMessage());
        } catch (JsonRpc.RpcError e) {
            fail("the chain node refused: " + e.getMessage());
        } catch (LedgerException e) {
            fail("cannot read the local ledger: " + e.getMessage());
        } catch (IOException e) {
            fail("cannot keep the anchoring cursor: " + e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            // anything escaping would end the periodic pass silently: anchoring would stop for good
            LOG.error("Anchoring failed unexpectedly; trying again later", e);
            fail(e.toString());
        }
    }

    /**
     * Whether this node anchors: always on a ledger only it writes; on a shared one while it holds {@value #LEASE}
     * (claimed, or renewed, at every pass).
     */
    private boolean holdsLease() throws LedgerException {
        Optional<DecisionLeases> shared = local.decisions();
        if (shared.isEmpty()) {
            return true;
        }
        if (shared.get().claim(LEASE).isPresent()) {
            if (standingByFor != null) {
                LOG.info("This node anchors the shared ledger now (lease {} passed to it from {})", LEASE,
                        standingByFor);
                standingByFor = null;
                synced = false; // read back what the other node anchored before sending anything
            }
            return true;
        }
        String holder = shared.get().leases().stream().filter(l -> l.name().equals(LEASE)).map(Lease::holder)
                .findFirst().orElse("another node");
        if (!holder.equals(standingByFor)) {
            LOG.info("Node {} anchors the shared ledger (lease {}); this node stands by", holder, LEASE);
        }
        standingByFor = holder;
        return false;
    }

    /**
     * Standing by: learns the contract the anchoring node uses and how far it got, so that {@link #await} answers on
     * this node too; sends nothing.
     */
    private void followOtherNode() throws ChainUnreachableException, JsonRpc.RpcError, IOException, LedgerException {
        if (contract == null) {
            if (chainId == 0) {
                chainId = JsonRpc.quantity(rpc.call("eth_chainId"));
            }
            Optional<String> recorded = recordedContract();
            if (recorded.isEmpty()) {
                return; // not deployed yet
            }
            contract = new RegistryContract(rpc, recorded.get());
            cursor.contract(recorded.get(), chainId);
        }
        syncFromChain();
        reachable = true;
        synced = false;
    }

    /**
     * The contract a node deployed for this shared ledger on this chain, as recorded in the ledger (the latest, should
     * a node have died between deploying and recording, and another deployed again). Reads the log from its start:
     * once per node, which keeps the answer in its cursor.
     */
    private Optional<String> recordedContract() throws LedgerException {
        String found = null;
        for (long from = 0;;) {
            List<LedgerEntry> page = local.read(from, PAGE);
            if (page.isEmpty()) {
                return Optional.ofNullable(found);
            }
            for (LedgerEntry entry : page) {
                if (entry.event().type().equals(CONTRACT_DEPLOYED)) {
                    try {
                        CborMap deployed = CborMap.decode(CONTRACT_DEPLOYED, entry.event().payload());
                        if (deployed.unsigned("chain") == chainId) {
                            found = deployed.text("contract");
                        }
                    } catch (CborException e) {
                        LOG.warn("Event #{} ({}) is unreadable, ignored: {}", entry.index(), CONTRACT_DEPLOYED,
                                e.getMessage());
                    }
                }
            }
            from = page.get(page.size() - 1).index() + 1;
        }
    }

    private void fail(String message) {
        if (stopping) {
            return;
        }
        if (reachable || !message.equals(lastError)) {
            LOG.warn("Anchoring paused: {}. Events keep being recorded locally and are anchored once the chain"
                    + " answers again", message);
        }
        reachable = false;
        synced = false; // read back what is anchored before sending again
        lastError = message;
        lastErrorTime = Instant.now();
    }

    /**
     * Checks the node serves the chain anchored to (learning it when none is configured or pinned yet), reads the
     * account key, and deploys the contract when none is configured or known; false when anchoring cannot go on yet.
     */
    private boolean ensureContract() throws ChainUnreachableException, JsonRpc.RpcError, IOException,
            LedgerException {
        long reported = JsonRpc.quantity(rpc.call("eth_chainId"));
        long expected = chainId;
        boolean pinned = settings.chainId() != 0 || contract != null;
        if (!pinned && reported != expected) {
            chainId = reported;
            account = null; // it signs for one chain (EIP-155)
            LOG.info("chain.id is not configured: anchoring to the chain the node at {} serves, chain {}",
                    rpc.endpoint(), reported);
        } else if (expected == 0) {
            chainId = reported; // a configured contract on the node's chain
        } else if (reported != expected) {
            fail("the node at " + rpc.endpoint() + " serves chain " + reported + ", "
                    + (settings.chainId() != 0 ? "configured chain.id is " + settings.chainId()
                            : "this ledger's contract " + contract.address() + " is on chain " + expected
                                    + " (" + AnchorCursor.FILE + "): point rpc.url at a node of chain " + expected
                                    + ", or set chain.id and contract.address for chain " + reported)
                    + "; nothing is sent");
            return false;
        }
        if (account == null) {
            try {
                account = new ChainAccount(rpc, ChainAccount.readKeyFile(settings.accountKeyFile()), chainId,
                        settings.gas());
            } catch (IOException e) {
                fail("configuration " + EvmSettings.PID + ": " + e.getMessage());
                return false;
            }
            LOG.info("Anchoring to chain {} at {} from {}", chainId, rpc.endpoint(), account.address());
        }
        if (contract != null) {
            return true;
        }
        Optional<DecisionLeases> shared = local.decisions();
        if (shared.isPresent()) {
            Optional<String> recorded = recordedContract();
            if (recorded.isPresent()) {
                cursor.contract(recorded.get(), chainId);
                contract = new RegistryContract(rpc, recorded.get());
                LOG.info("Anchoring to the UpdraftRegistry contract at {}, which another node deployed for this"
                        + " ledger", recorded.get());
                return true;
            }
        }
        LOG.info("Deploying the UpdraftRegistry contract on chain {} from {}", chainId, account.address());
        ChainAccount.Receipt receipt = account.send(null, RegistryContract.deployment(settings.governance()));
        if (!receipt.succeeded() || receipt.contractAddress() == null) {
            fail("deploying the contract failed in transaction " + receipt.transactionHash());
            return false;
        }
        transactions++;
        cursor.contract(receipt.contractAddress(), chainId);
        contract = new RegistryContract(rpc, receipt.contractAddress());
        if (shared.isPresent()) {
            // the other nodes sharing the ledger anchor to this one, not to a contract of their own
            local.append(new LedgerEvent(CONTRACT_DEPLOYED, Instant.now(), account.address(), Cbor.encode(
                    Map.of("chain", chainId, "contract", receipt.contractAddress())), null));
        }
        LOG.info("UpdraftRegistry deployed at {} (block {}, {} gas)", receipt.contractAddress(),
                receipt.blockNumber(), receipt.gasUsed());
        return true;
    }

    private void syncFromChain() throws ChainUnreachableException, JsonRpc.RpcError, IOException {
        long anchored = contract.eventsAnchored();
        long count = contract.checkpointCount();
        long size = count == 0 ? 0 : (long) contract.checkpoint(count - 1)[0];
        synchronized (this) {
            if (anchored > next) {
                LOG.info("The chain has events up to #{} anchored; resuming after them", anchored - 1);
                next = anchored;
                cursor.nextEvent(next);
                notifyAll();
            }
        }
        checkpointTreeSize = size;
        synced = true;
        if (!reachable && lastError != null) {
            LOG.info("Chain reachable again: anchoring resumes at event #{}, last anchored checkpoint covers {} events",
                    next, size);
        }
    }

    private void anchorEvents() throws LedgerException, ChainUnreachableException, JsonRpc.RpcError, IOException {
        while (true) {
            if (!holdsLease()) {
                return; // the lease passed to another node (this one was too slow to renew it): stop sending
            }
            long from;
            synchronized (this) {
                from = next;
            }
            List<LedgerEntry> page = local.read(from, PAGE);
            if (page.isEmpty()) {
                return;
            }
            for (LedgerEntry entry : page) {
                String call = callFor(entry);
                AnchorOutcome outcome;
                if (call == null) {
                    outcome = new AnchorOutcome(entry.index(), AnchorOutcome.State.NOT_ANCHORED, null);
                } else {
                    outcome = send(entry, call);
                }
                synchronized (this) {
                    outcomes.put(entry.index(), outcome);
                    next = entry.index() + 1;
                    if (call != null) {
                        cursor.nextEvent(next);
                    }
                    notifyAll();
                }
            }
            synchronized (this) {
                cursor.nextEvent(next);
            }
        }
    }

    private AnchorOutcome send(LedgerEntry entry, String call) throws ChainUnreachableException, JsonRpc.RpcError {
        String refusal;
        try {
            ChainAccount.Receipt receipt = account.send(contract.address(), call);
            transactions++;
            if (receipt.succeeded()) {
                LOG.debug("Anchored event #{} ({}) in {} (block {}, {} gas)", entry.index(), entry.event().type(),
                        receipt.transactionHash(), receipt.blockNumber(), receipt.gasUsed());
                return new AnchorOutcome(entry.index(), AnchorOutcome.State.ANCHORED, null);
            }
            refusal = "transaction " + receipt.transactionHash() + " reverted";
        } catch (JsonRpc.RpcError e) {
            refusal = e.revertReason();
            if (refusal == null) {
                throw e; // not the contract saying no: the node's trouble (funds, nonce), try again later
            }
        }
        if (refusal.contains(ALREADY_ANCHORED)) {
            return new AnchorOutcome(entry.index(), AnchorOutcome.State.ANCHORED, null);
        }
        refused++;
        LOG.warn("The chain refused event #{} ({} by {}): {}", entry.index(), entry.event().type(),
                entry.event().actor(), refusal);
        return new AnchorOutcome(entry.index(), AnchorOutcome.State.REFUSED, refusal);
    }

    /** The contract call that anchors this event, or null for events only checkpoints cover. */
    static String callFor(LedgerEntry entry) {
        LedgerEvent event = entry.event();
        long index = entry.index();
        try {
            switch (event.type()) {
                case EventTypes.KEY_REGISTERED: {
                    TrustEvents.KeyRegistered r = (TrustEvents.KeyRegistered) TrustEvents.decode(event.type(),
                            event.payload());
                    return RegistryContract.registerManufacturer(index, r.did(), r.vendor(), publicKey(r.did()),
                            new ArrayList<>(r.deviceClasses()), "0x0000000000000000000000000000000000000000");
                }
                case EventTypes.KEY_ROTATED: {
                    TrustEvents.KeyRotated r = (TrustEvents.KeyRotated) TrustEvents.decode(event.type(),
                            event.payload());
                    byte[] proof = event.signature() == null ? new byte[0] : event.signature();
                    return RegistryContract.rotateManufacturer(index, r.did(), r.successor(), publicKey(r.successor()),
                            proof);
                }
                case EventTypes.KEY_REVOKED: {
                    TrustEvents.KeyRevoked r = (TrustEvents.KeyRevoked) TrustEvents.decode(event.type(),
                            event.payload());
                    return RegistryContract.revokeManufacturer(index, r.did(), r.reason());
                }
                case EventTypes.RELEASE_PUBLISHED: {
                    SignedManifest signed = ReleaseEvents.decodePublished(event.payload());
                    Manifest m = signed.manifest();
                    return RegistryContract.publishRelease(index, m.releaseId(), m.signer(), m.vendor(),
                            m.deviceClass(), m.sequence(), sha256(signed.bytes()), m.cid().toString());
                }
                default:
                    return null;
            }
        } catch (CborException | IllegalArgumentException e) {
            LOG.error("Event #{} ({}) cannot be anchored, its payload is unreadable: {}", index, event.type(),
                    e.getMessage());
            return null;
        }
    }

    private static byte[] publicKey(String did) {
        return VerificationKey.fromDid(did).publicKey();
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void anchorCheckpointIfDue() throws LedgerException, ChainUnreachableException, JsonRpc.RpcError {
        long size = local.size();
        long anchored = checkpointTreeSize;
        if (size <= anchored) {
            return;
        }
        boolean full = size - anchored >= settings.batchSize();
        boolean late = System.nanoTime() - lastCheckpointNanos >= settings.batchInterval().toNanos();
        if (!full && !late) {
            return;
        }
        Checkpoint checkpoint = local.checkpoint();
        if (checkpoint.treeSize() <= anchored) {
            return;
        }
        try {
            ChainAccount.Receipt receipt = account.send(contract.address(),
                    RegistryContract.anchorCheckpoint(checkpoint.treeSize(), checkpoint.rootHash()));
            transactions++;
            if (!receipt.succeeded()) {
                throw new JsonRpc.RpcError(0, "checkpoint transaction " + receipt.transactionHash() + " reverted");
            }
            checkpointGas = receipt.gasUsed();
            checkpointTreeSize = checkpoint.treeSize();
            lastCheckpointNanos = System.nanoTime();
            LOG.debug("Anchored checkpoint of {} events in {} (block {}, {} gas)", checkpoint.treeSize(),
                    receipt.transactionHash(), receipt.blockNumber(), receipt.gasUsed());
        } catch (JsonRpc.RpcError e) {
            // most likely anchored by a retry that was mined after all: read back what the chain holds
            synced = false;
            throw e;
        }
    }

    /** The transaction, block and log of a release's ReleasePublished event. */
    Optional<JsonNode> releaseLog(String releaseId, long block) throws ChainUnreachableException, JsonRpc.RpcError {
        return contract.releaseLog(releaseId, block);
    }
}
