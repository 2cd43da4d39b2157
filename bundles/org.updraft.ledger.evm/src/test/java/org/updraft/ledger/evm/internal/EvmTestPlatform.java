package org.updraft.ledger.evm.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.updraft.api.ledger.CheckpointAnchor;
import org.updraft.ledger.local.internal.FileLedger;

/** A chain and an EVM ledger over a local log in {@code dir/ledger}. */
public final class EvmTestPlatform implements AutoCloseable {

    private final Ganache ganache;
    private final FileLedger local;
    private final EvmLedger evm;
    private boolean ledgersClosed;

    private EvmTestPlatform(Ganache ganache, FileLedger local, EvmLedger evm) {
        this.ganache = ganache;
        this.local = local;
        this.evm = evm;
    }

    public static EvmTestPlatform start(Path dir, int batchSize) throws Exception {
        Ganache ganache = Ganache.start(dir.resolve("chain"));
        FileLedger local = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        EvmLedger evm = new EvmLedger(Platform.settings(ganache.url(), dir, "", batchSize, Duration.ofMinutes(10)),
                local);
        return new EvmTestPlatform(ganache, local, evm);
    }

    public EvmLedger evm() {
        return evm;
    }

    public FileLedger local() {
        return local;
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
    public void closeLedgers() {
        if (!ledgersClosed) {
            ledgersClosed = true;
            evm.deactivate();
            local.close();
        }
    }

    @Override
    public void close() throws Exception {
        closeLedgers();
        ganache.close();
    }
}
