package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

class KeygenCommandTest {

    static final String PASSPHRASE = "correct horse battery staple";

    @TempDir
    Path dir;

    static Stream<Arguments> algorithmsAndPassphrases() {
        return Stream.of(KeyAlgorithm.values())
                .flatMap(a -> Stream.of(Arguments.of(a, false), Arguments.of(a, true)));
    }

    static Path passphraseFile(Path dir) throws Exception {
        return Files.writeString(dir.resolve("passphrase.txt"), PASSPHRASE + "\n");
    }

    @ParameterizedTest(name = "{0}, encrypted: {1}")
    @MethodSource("algorithmsAndPassphrases")
    void writesAKeyPairAndPrintsItsDid(KeyAlgorithm algorithm, boolean encrypted) throws Exception {
        Path key = dir.resolve("vendor.pem");
        Path pass = passphraseFile(dir);
        String out = encrypted
                ? Cli.run("keygen", "--out", key.toString(), "--alg", algorithm.label(), "--passphrase-file",
                        pass.toString()).ok()
                : Cli.run("keygen", "--out=" + key, "--alg=" + algorithm.label()).ok();

        String did = out.strip();
        assertEquals(did + "\n", out, "stdout is the did:key alone");
        assertTrue(did.startsWith(algorithm == KeyAlgorithm.ED25519 ? "did:key:z6Mk" : "did:key:zDn"), did);
        VerificationKey pub = KeyFiles.readPublicKey(dir.resolve("vendor.pem.pub"));
        assertEquals(did, pub.did());
        SigningKey priv = KeyFiles.readPrivateKey(key, encrypted ? PASSPHRASE.toCharArray() : null);
        assertEquals(did, priv.did());
        assertEquals(algorithm, priv.algorithm());
        String pem = Files.readString(key);
        assertEquals(encrypted, pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), pem);
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(key));
        assertFalse(out.contains(PASSPHRASE));

        // the pair signs and verifies
        byte[] data = "firmware".getBytes();
        assertTrue(pub.verify(data, priv.sign(data)));
    }

    @Test
    void ed25519IsTheDefault() throws Exception {
        String did = Cli.run("keygen", "--out", dir.resolve("k").toString()).ok().strip();
        assertEquals(KeyAlgorithm.ED25519, VerificationKey.fromDid(did).algorithm());
    }

    @Test
    void refusesToOverwriteEitherHalfOfAPair() throws Exception {
        Path key = dir.resolve("k.pem");
        Cli.run("keygen", "--out", key.toString()).ok();
        byte[] before = Files.readAllBytes(key);
        byte[] pubBefore = Files.readAllBytes(dir.resolve("k.pem.pub"));
        String line = Cli.run("keygen", "--out", key.toString()).usageError();
        assertTrue(line.contains("already exists"), line);
        assertArrayEquals(before, Files.readAllBytes(key));
        assertArrayEquals(pubBefore, Files.readAllBytes(dir.resolve("k.pem.pub")));

        // only the .pub is in the way: nothing is written at all
        Path other = dir.resolve("other.pem");
        Files.writeString(dir.resolve("other.pem.pub"), "precious");
        Cli.run("keygen", "--out", other.toString()).usageError();
        assertFalse(Files.exists(other));
        assertEquals("precious", Files.readString(dir.resolve("other.pem.pub")));
    }

    @Test
    void anEmptyPassphraseFileIsRefusedAndNothingIsWritten() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        String line = Cli.run("keygen", "--out", dir.resolve("k").toString(), "--passphrase-file", empty.toString())
                .usageError();
        assertTrue(line.contains("empty"), line);
        assertFalse(Files.exists(dir.resolve("k")));
        assertFalse(Files.exists(dir.resolve("k.pub")));
    }
}
