package org.updraft.shell.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;

@Command(scope = "updraft", name = "trust-rotate", description = "Replaces a manufacturer key by a successor; "
        + "releases the old key signed stay valid (recorded on the ledger)")
@Service
public class TrustRotateCommand extends UpdraftCommand {

    @Argument(index = 0, name = "did", description = "The key to replace", required = true)
    @Completion(TrustedKeyCompleter.class)
    String did;

    @Argument(index = 1, name = "successor", description = "The new key's did:key, or its public key file",
            required = true)
    @Completion(FileCompleter.class)
    String successor;

    @Option(name = "--proof", description = "File with the old key's signature of the rotation (from updraft "
            + "rotate-proof); devices provisioned with the old key follow only a rotation it signed. Without it, the "
            + "operator vouches for the rotation: the platform accepts the successor's releases, devices do not")
    @Completion(FileCompleter.class)
    String proof;


    @Override
    protected Object run() throws Exception {
        byte[] signature = null;
        if (proof != null) {
            String text = Files.readString(Path.of(proof).toAbsolutePath()).trim();
            try {
                signature = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(proof + " does not hold a base64 rotation proof");
            }
        }
        TrustedKey rotated = selected(TrustStore.class, TrustStore.SELECTED, "trust store", "updraft").rotate(did,
                TrustAddCommand.did(successor), signature, Operators.current());
        System.out.println("Rotated " + rotated.did() + " to " + rotated.successor());
        TrustListCommand.print(rotated);
        return null;
    }
}
