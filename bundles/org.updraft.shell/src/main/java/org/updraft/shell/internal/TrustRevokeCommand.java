package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;

@Command(scope = "updraft", name = "trust-revoke", description = "Revokes a manufacturer key: everything it "
        + "signed is refused from now on (recorded on the ledger)")
@Service
public class TrustRevokeCommand extends UpdraftCommand {

    @Argument(index = 0, name = "did", description = "The key's did:key", required = true)
    @Completion(TrustedKeyCompleter.class)
    String did;

    @Option(name = "--reason", description = "Why, for the ledger and for operators")
    String reason = "";


    @Override
    protected Object run() throws Exception {
        TrustedKey revoked = selected(TrustStore.class, TrustStore.SELECTED, "trust store", "updraft").revoke(did, reason, Operators.current());
        System.out.println("Revoked " + revoked.did());
        TrustListCommand.print(revoked);
        return null;
    }
}
