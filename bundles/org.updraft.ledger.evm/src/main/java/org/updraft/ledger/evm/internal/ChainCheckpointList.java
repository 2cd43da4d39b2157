package org.updraft.ledger.evm.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Reference;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.LedgerException;
import org.updraft.ledger.evm.AnchoredCheckpoint;
import org.updraft.ledger.evm.ChainAnchors;

/**
 * The anchored checkpoints in the API's own type, for {@code updraft:ledger-verify --chain}: the shell bundle does
 * not depend on this one, so it finds them as a {@code Supplier} service with {@value #PROPERTY}{@code =chain}.
 * Each checkpoint's {@code origin} names it for an operator (number, block, chain, contract); its envelope is empty,
 * the chain holds no signature of the log key.
 *
 * @throws IllegalStateException from {@link #get()} when the chain cannot be read
 */
@Component(service = Supplier.class, property = ChainCheckpointList.PROPERTY + "=chain")
public final class ChainCheckpointList implements Supplier<List<Checkpoint>> {

    public static final String PROPERTY = "updraft.checkpoints";

    private final ChainAnchors anchors;

    @Activate
    public ChainCheckpointList(@Reference ChainAnchors anchors) {
        this.anchors = anchors;
    }

    @Override
    public List<Checkpoint> get() {
        try {
            List<Checkpoint> all = new ArrayList<>();
            String contract = anchors.contract().orElse("?");
            for (AnchoredCheckpoint c : anchors.checkpoints()) {
                all.add(new Checkpoint("anchored checkpoint #" + c.number() + " (block " + c.blockNumber() + " of chain "
                        + anchors.chainId() + ", contract " + contract + ")", c.treeSize(), c.rootHash(),
                        Instant.EPOCH, new byte[0]));
            }
            return all;
        } catch (LedgerException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
