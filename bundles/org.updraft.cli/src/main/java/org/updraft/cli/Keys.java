package org.updraft.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/** How the commands name keys: a private key file (perhaps encrypted), and a public key as did:key or file. */
final class Keys {

    private Keys() {
    }

    /**
     * Reads a private key file, decrypting it with the passphrase file's first line when one is given. The
     * passphrase is wiped from memory once used and never appears in a message.
     */
    static SigningKey signingKey(Path keyFile, Path passphraseFile) throws KeyFileException {
        char[] passphrase = passphraseFile == null ? null : KeyFiles.readPassphrase(passphraseFile);
        try {
            return KeyFiles.readPrivateKey(keyFile, passphrase);
        } finally {
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
        }
    }

    /**
     * A public key given as {@code did:key:z…} or as a public key file (SubjectPublicKeyInfo PEM, such as
     * {@code KEYFILE.pub} from keygen).
     */
    static VerificationKey publicKey(String option, String didOrFile) throws UsageException, KeyFileException {
        if (didOrFile.startsWith("did:")) {
            try {
                return VerificationKey.fromDid(didOrFile);
            } catch (IllegalArgumentException e) {
                throw new UsageException("option --" + option + ": " + e.getMessage());
            }
        }
        Path file = Arguments.path(option, didOrFile);
        if (!Files.exists(file)) {
            throw new UsageException("option --" + option + ": '" + didOrFile
                    + "' is neither a did:key nor an existing public key file");
        }
        return KeyFiles.readPublicKey(file);
    }
}
