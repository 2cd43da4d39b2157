package org.updraft.shell.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.identity.KeyFiles;

@Command(scope = "updraft", name = "trust-add", description = "Trusts a manufacturer key to sign releases of a "
        + "vendor (recorded on the ledger)")
@Service
public class TrustAddCommand extends UpdraftCommand {

    @Argument(index = 0, name = "key", description = "The key's did:key, or its public key file (KEYFILE.pub)",
            required = true)
    @Completion(FileCompleter.class)
    String key;

    @Option(name = "--vendor", description = "The vendor whose releases the key signs", required = true)
    String vendor;

    @Option(name = "--classes", description = "Comma-separated device classes the key may sign for; all of the "
            + "vendor's when omitted")
    String classes;


    @Override
    protected Object run() throws Exception {
        TrustStore store = selected(TrustStore.class, TrustStore.SELECTED, "trust store", "updraft");
        TrustedKey added = store.register(did(key), vendor, parseClasses(classes), Operators.current());
        System.out.println("Trusted " + added.did());
        TrustListCommand.print(added);
        return null;
    }

    /** A did:key as given, or the did:key of a public key file. */
    static String did(String didOrFile) throws Exception {
        if (didOrFile.startsWith("did:")) {
            return didOrFile;
        }
        Path file = Path.of(didOrFile).toAbsolutePath();
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("'" + didOrFile + "' is neither a did:key nor an existing public key file");
        }
        return KeyFiles.readPublicKey(file).did();
    }

    private static Set<String> parseClasses(String classes) {
        if (classes == null || classes.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(classes.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
    }
}
