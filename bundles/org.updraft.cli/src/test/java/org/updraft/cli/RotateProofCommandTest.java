package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.VerificationKey;

class RotateProofCommandTest {

    @TempDir
    Path dir;

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> algorithmsAndPassphrases() {
        return KeygenCommandTest.algorithmsAndPassphrases();
    }

    /** What the platform checks before it records the old key as the rotation's author. */
    private static boolean provesRotation(String oldDid, String successorDid, String base64) {
        return VerificationKey.fromDid(oldDid).verify(TrustEvents.rotationStatement(oldDid, successorDid),
                Base64.getDecoder().decode(base64.strip()));
    }

    @ParameterizedTest(name = "{0}, encrypted: {1}")
    @MethodSource("algorithmsAndPassphrases")
    void theOldKeySignsTheRotationToItsSuccessor(KeyAlgorithm algorithm, boolean encrypted) throws Exception {
        Path pass = KeygenCommandTest.passphraseFile(dir);
        List<String> secret = encrypted ? List.of("--passphrase-file", pass.toString()) : List.of();
        List<String> keygen = new ArrayList<>(List.of("keygen", "--out", dir.resolve("old.pem").toString(), "--alg",
                algorithm.label()));
        keygen.addAll(secret);
        String oldDid = Cli.run(keygen.toArray(String[]::new)).ok().strip();
        String newDid = Cli.run("keygen", "--out", dir.resolve("new.pem").toString()).ok().strip();

        // successor as a public key file, proof on stdout
        List<String> args = new ArrayList<>(List.of("rotate-proof", "--key", dir.resolve("old.pem").toString(),
                "--successor", dir.resolve("new.pem.pub").toString()));
        args.addAll(secret);
        String proof = Cli.run(args.toArray(String[]::new)).ok();
        assertEquals(1, proof.lines().count());
        assertTrue(provesRotation(oldDid, newDid, proof));
        assertFalse(proof.contains(KeygenCommandTest.PASSPHRASE));

        // successor as a DID, proof to a file
        Path file = dir.resolve("rotation.proof");
        args = new ArrayList<>(List.of("rotate-proof", "--key", dir.resolve("old.pem").toString(), "--successor",
                newDid, "--out", file.toString()));
        args.addAll(secret);
        String summary = Cli.run(args.toArray(String[]::new)).ok();
        assertTrue(summary.contains(oldDid) && summary.contains(newDid) && summary.contains(file.toString()), summary);
        assertTrue(provesRotation(oldDid, newDid, Files.readString(file)));
        // it proves this rotation only
        String third = Cli.run("keygen", "--out", dir.resolve("third.pem").toString()).ok().strip();
        assertFalse(provesRotation(oldDid, third, Files.readString(file)));
    }

    @Test
    void refusesToRotateAKeyToItself() throws Exception {
        Cli.run("keygen", "--out", dir.resolve("k.pem").toString()).ok();
        String line = Cli.run("rotate-proof", "--key", dir.resolve("k.pem").toString(), "--successor",
                dir.resolve("k.pem.pub").toString()).usageError();
        assertTrue(line.contains("itself"), line);
    }
}
