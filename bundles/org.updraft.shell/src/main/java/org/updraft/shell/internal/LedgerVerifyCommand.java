package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.ledger.Ledger;
import org.updraft.core.log.LedgerAudit;

@Command(scope = "updraft", name = "ledger-verify", description = "Recomputes the whole ledger from its events and "
        + "checks every checkpoint the log has issued; names the first inconsistency")
@Service
public class LedgerVerifyCommand implements Action {

    @Reference(optional = true)
    Ledger ledger;

    @Override
    public Object execute() throws Exception {
        Ledger log = Services.require(ledger, "ledger", "updraft-ledger-local");
        long total = log.size();
        ProgressBar bar = new ProgressBar(System.out, "Verifying", n -> n + " events");
        LedgerAudit.Result result;
        try {
            result = LedgerAudit.audit(log, done -> bar.bytesStored(done, total));
        } finally {
            bar.finish();
        }
        if (!result.consistent()) {
            throw new IllegalStateException("ledger INCONSISTENT: " + result.firstInconsistency());
        }
        System.out.println("Ledger consistent: " + result.events() + " events, " + result.checkpoints()
                + " checkpoints verified, root " + Format.hex(result.rootHash()));
        System.out.println("  log key " + log.logKey());
        return null;
    }
}
