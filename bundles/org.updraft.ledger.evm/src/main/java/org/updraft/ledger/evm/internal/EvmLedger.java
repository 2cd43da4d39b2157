package org.updraft.ledger.evm.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.CheckpointAnchor;
import org.updraft.api.ledger.CheckpointAnchors;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.ledger.ReleaseAnchors;
import org.updraft.api.ledger.ViewSnapshots;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The EVM ledger ({@code ledger.kind=evm}): the local transparency log records every event and answers every
 * read, and {@link Anchoring} puts trust changes, releases and checkpoints on chain behind it. An append returns as
 * soon as the local log made it durable; the chain is never waited for.
 *
 * <p>It starts once {@value EvmSettings#PID} exists (setting {@code rpc.url} creates it), not at the feature's
 * install: a chain is never contacted before it was named. It anchors the local log whichever ledger
 * {@code org.updraft.backends} selects, for as long as it runs.
 */
@Component(service = { Ledger.class, ChainAnchors.class, ReleaseAnchors.class, CheckpointAnchors.class },
        property = Ledger.KIND + "=evm", configurationPid = EvmSettings.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = EvmLedgerConfig.class)
public final class EvmLedger implements Ledger, ChainAnchors {

    private static final Logger LOG = LoggerFactory.getLogger(EvmLedger.class);

    private final Ledger local;
    private final EvmSettings settings;
    private final Anchoring anchoring;

    @Activate
    public EvmLedger(EvmLedgerConfig config, @Reference(name = "local", target = "(ledger.kind=local)") Ledger local)
            throws LedgerException {
        this(EvmSettings.from(config), local);
    }

    EvmLedger(EvmSettings settings, Ledger local) throws LedgerException {
        this.local = local;
        this.settings = settings;
        AnchorCursor cursor;
        try {
            cursor = AnchorCursor.open(settings.stateDirectory());
        } catch (IOException e) {
            throw new LedgerException("configuration " + EvmSettings.PID + ": " + e.getMessage(), e);
        }
        JsonRpc rpc = new JsonRpc(settings.rpcUrl(), Duration.ofSeconds(10));
        this.anchoring = new Anchoring(local, settings, rpc, cursor);
        anchoring.start();
        LOG.info("EVM ledger ready: anchoring to {} at {}, contract {}",
                anchoring.chainId() == 0 ? "the chain of the node" : "chain " + anchoring.chainId(),
                settings.rpcUrl(), anchoring.contract().map(RegistryContract::address)
                        .orElse("(deployed at first contact)"));
    }

    @Deactivate
    public void deactivate() {
        anchoring.stop();
    }

    @Override
    public AppendReceipt append(LedgerEvent event) throws LedgerException {
        AppendReceipt receipt = local.append(event);
        anchoring.wake();
        return receipt;
    }

    @Override
    public long size() throws LedgerException {
        return local.size();
    }

    @Override
    public LedgerEntry get(long index) throws LedgerException {
        return local.get(index);
    }

    @Override
    public List<LedgerEntry> read(long fromIndex, int max) throws LedgerException {
        return local.read(fromIndex, max);
    }

    @Override
    public Checkpoint checkpoint() throws LedgerException {
        return local.checkpoint();
    }

    @Override
    public List<Checkpoint> checkpoints(long fromTreeSize, int max) throws LedgerException {
        return local.checkpoints(fromTreeSize, max);
    }

    @Override
    public InclusionProof inclusionProof(long index, long treeSize) throws LedgerException {
        return local.inclusionProof(index, treeSize);
    }

    @Override
    public ConsistencyProof consistencyProof(long firstSize, long secondSize) throws LedgerException {
        return local.consistencyProof(firstSize, secondSize);
    }

    @Override
    public String logKey() throws LedgerException {
        return local.logKey();
    }

    /**
     * The ledger's own: on a log several nodes share, rollout decisions stay single with anchoring on top, and
     * anchoring itself runs under one of its leases.
     */
    @Override
    public Optional<DecisionLeases> decisions() {
        return local.decisions();
    }

    /** The anchored log's: the views over this ledger are views of that log, and start from its snapshots. */
    @Override
    public Optional<ViewSnapshots> snapshots() {
        return local.snapshots();
    }

    // ---- ChainAnchors ----

    @Override
    public long chainId() {
        return anchoring.chainId();
    }

    @Override
    public Optional<String> contract() {
        return anchoring.contract().map(RegistryContract::address);
    }

    @Override
    public Optional<ReleaseAnchor> find(String releaseId) throws LedgerException {
        RegistryContract registry = deployed();
        try {
            Optional<RegistryContract.ChainRelease> recorded = registry.release(releaseId);
            if (recorded.isEmpty()) {
                return Optional.empty();
            }
            Optional<JsonNode> log = registry.releaseLog(releaseId, recorded.get().blockNumber());
            if (log.isEmpty()) {
                throw new LedgerException("release " + releaseId + " is recorded in block "
                        + recorded.get().blockNumber() + " but the node has no event log for it");
            }
            JsonNode l = log.get();
            return Optional.of(new ReleaseAnchor(anchoring.chainId(), registry.address(),
                    l.get("transactionHash").asText(), JsonRpc.quantity(l.get("blockNumber")),
                    JsonRpc.quantity(l.get("logIndex"))));
        } catch (ChainUnreachableException | JsonRpc.RpcError e) {
            throw new LedgerException("cannot read release " + releaseId + " from the chain: " + e.getMessage(), e);
        }
    }

    @Override
    public List<CheckpointAnchor> anchored() throws LedgerException {
        RegistryContract registry = deployed();
        try {
            long count = registry.checkpointCount();
            List<CheckpointAnchor> all = new ArrayList<>();
            for (long n = 0; n < count; n++) {
                Object[] c = registry.checkpoint(n);
                all.add(new CheckpointAnchor(anchoring.chainId(), registry.address(), n, (long) c[0], (byte[]) c[1],
                        (long) c[2]));
            }
            return all;
        } catch (ChainUnreachableException | JsonRpc.RpcError e) {
            throw new LedgerException("cannot read the anchored checkpoints from the chain: " + e.getMessage(), e);
        }
    }

    @Override
    public AnchoringStatus status() {
        return anchoring.status();
    }

    @Override
    public AnchorOutcome awaitAnchored(long index, Duration timeout) throws InterruptedException {
        return anchoring.await(index, timeout);
    }

    /** Gas the last checkpoint transaction used, for measurements. */
    long lastCheckpointGas() {
        return anchoring.checkpointGas();
    }

    /** The contract, once the chain was reached (its id is known then too). */
    private RegistryContract deployed() throws LedgerException {
        RegistryContract registry = anchoring.contract().orElse(null);
        if (registry == null || anchoring.chainId() == 0) {
            throw new LedgerException("nothing is anchored on the chain at " + settings.rpcUrl()
                    + " yet: the registry contract is not deployed" + lastError());
        }
        return registry;
    }

    private String lastError() {
        String error = anchoring.status().lastError();
        return error == null ? "" : " (" + error + ")";
    }
}
