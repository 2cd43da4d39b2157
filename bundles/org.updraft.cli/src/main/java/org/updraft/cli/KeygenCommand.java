package org.updraft.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;

/** {@code updraft keygen}: a new manufacturer key pair, written on this machine, and its did:key. */
final class KeygenCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("keygen")
            .value("out").value("alg").value("passphrase-file").positional("no arguments", 0, 0);

    @Override
    public String name() {
        return "keygen";
    }

    @Override
    public String summary() {
        return "generate a manufacturer key pair and print its did:key";
    }

    @Override
    public String usage() {
        return """
                usage: updraft keygen --out KEYFILE [--alg ed25519|p256] [--passphrase-file FILE]

                Generates a key pair on this machine and prints its did:key, the identity the platform trusts.
                  --out KEYFILE           the private key, PKCS#8 PEM, readable by its owner only; the public
                                          key goes to KEYFILE.pub (SubjectPublicKeyInfo PEM). Existing files
                                          are never overwritten.
                  --alg ed25519|p256      signature algorithm (default ed25519; p256 for MCUs with P-256
                                          hardware)
                  --passphrase-file FILE  encrypt the private key with the first line of FILE (PBES2:
                                          PBKDF2-HMAC-SHA256, AES-256-CBC), as OpenSSL reads it
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        Path keyFile = args.requiredPath("out");
        Path publicFile = keyFile.resolveSibling(keyFile.getFileName() + ".pub");
        KeyAlgorithm algorithm;
        try {
            algorithm = KeyAlgorithm.fromLabel(args.optional("alg", "ed25519"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("option --alg: " + e.getMessage());
        }
        Path passphraseFile = args.optionalPath("passphrase-file");
        // both names are checked before anything is written, so a refusal leaves no half pair behind
        for (Path p : new Path[] {keyFile, publicFile}) {
            if (Files.exists(p)) {
                throw new UsageException(p + " already exists; refusing to overwrite a key");
            }
        }
        Path dir = keyFile.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UsageException("cannot write " + keyFile + ": directory " + dir + " does not exist");
        }
        char[] passphrase = passphraseFile == null ? null : KeyFiles.readPassphrase(passphraseFile);
        SigningKey key = SigningKey.generate(algorithm);
        try {
            KeyFiles.writePrivateKey(keyFile, key, passphrase);
        } finally {
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
        }
        try {
            KeyFiles.writePublicKey(publicFile, key.verificationKey());
        } catch (KeyFileException e) {
            // a private key without its public half is a trap: remove the one we just made
            Files.deleteIfExists(keyFile);
            throw e;
        }
        out.println(key.did());
        return UpdraftCli.EXIT_OK;
    }
}
