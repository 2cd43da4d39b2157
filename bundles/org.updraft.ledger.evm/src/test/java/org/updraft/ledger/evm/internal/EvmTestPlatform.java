package org.updraft.ledger.evm.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.updraft.api.ledger.CheckpointAnchor;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.testing.platform.TestPlatform;

/** A chain and an EVM ledger over a local log in {@code dir/ledger}, on test-platform's node. */
public final class EvmTestPlatform implements AutoCloseable {

    private final Ganache ganache;
    private final TestPlatform node;
    private final EvmLedger evm;
    private boolean ledgersClosed;

    private EvmTestPlatform(Ganache ganache, TestPlatform node) {
        this.ganache = ganache;
        this.node = node;
        this.evm = (EvmLedger) node.ledger();
    }

    public static EvmTestPlatform start(Path dir, int batchSize) throws Exception {
        Ganache ganache = Ganache.start(dir.resolve("chain"));
        try {
            EvmSettings settings = Platform.settings(ganache.url(), dir, "", batchSize, Duration.ofMinutes(10));
            return new EvmTestPlatform(ganache, TestPlatform.builder(dir)
                    .ledger(local -> new EvmLedger(settings, local), EvmLedger::deactivate).start());
        } catch (Exception | Error e) {
            ganache.close();
            throw e;
        }
    }

    public EvmLedger evm() {
        return evm;
    }

    public FileLedger local() {
        return node.log();
    }

    public List<CheckpointAnchor> awaitCheckpoints(int count, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (evm.contract().isPresent()) {
                List<CheckpointAnchor> all = evm.anchored();
                if (all.size() >= count) {
                    return all;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(count + " checkpoints were not anchored within " + timeout);
    }

    /** Stops anchoring and closes the local log; the chain keeps running. */
    public void closeLedgers() throws Exception {
        if (!ledgersClosed) {
            ledgersClosed = true;
            node.close();
        }
    }

    @Override
    public void close() throws Exception {
        try {
            closeLedgers();
        } finally {
            ganache.close();
        }
    }
}
