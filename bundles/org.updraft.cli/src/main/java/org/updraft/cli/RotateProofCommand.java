package org.updraft.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/**
 * {@code updraft rotate-proof}: the old key's signature over the rotation to its successor, so the platform
 * can record that the rotation is the old key's own doing ({@code updraft:trust-rotate --proof FILE}).
 */
final class RotateProofCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("rotate-proof")
            .value("key").value("successor").value("passphrase-file").value("out").flag("force")
            .positional("no arguments", 0, 0);

    @Override
    public String name() {
        return "rotate-proof";
    }

    @Override
    public String summary() {
        return "sign a key rotation with the old key, for updraft:trust-rotate --proof";
    }

    @Override
    public String usage() {
        return """
                usage: updraft rotate-proof --key OLDKEY --successor DID|KEYFILE.pub [--passphrase-file FILE]
                                            [--out FILE] [--force]

                Signs, with the old key, the statement that SUCCESSOR replaces it, and prints the signature in
                base64 (or writes it to FILE), for 'updraft:trust-rotate --proof FILE OLD-DID SUCCESSOR' on
                the platform.
                  --key OLDKEY                 private key file of the key being replaced
                  --successor DID|KEYFILE.pub  the new key, as did:key or public key file
                  --passphrase-file FILE       passphrase of an encrypted OLDKEY (its first line)
                  --out FILE                   write the proof to FILE (whole or not at all) instead of
                                               standard output
                  --force                      replace FILE if it exists
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        Path keyFile = args.requiredPath("key");
        String successorArg = args.required("successor");
        Path passphraseFile = args.optionalPath("passphrase-file");
        Path outFile = args.optionalPath("out");
        boolean force = args.flag("force");
        VerificationKey successor = Keys.publicKey("successor", successorArg);
        if (outFile != null) {
            OutputFile.checkWritable(outFile, force, "rotation proof");
        }
        SigningKey old = Keys.signingKey(keyFile, passphraseFile);
        if (old.did().equals(successor.did())) {
            throw new UsageException("the successor is the key itself (" + old.did() + "); a rotation needs a new key");
        }
        byte[] proof = old.sign(TrustEvents.rotationStatement(old.did(), successor.did()));
        String text = Base64.getEncoder().encodeToString(proof);
        if (outFile == null) {
            out.println(text);
        } else {
            OutputFile.write(outFile, (text + "\n").getBytes(StandardCharsets.US_ASCII), force);
            out.println("rotation proof " + old.did() + " -> " + successor.did() + " written to " + outFile);
        }
        return UpdraftCli.EXIT_OK;
    }
}
