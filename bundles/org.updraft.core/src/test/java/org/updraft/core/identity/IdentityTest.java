package org.updraft.core.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class IdentityTest {

    @Test
    void anEd25519KeyFromItsSeedSignsAsRfc8032Says() {
        // RFC 8032 section 7.1, TEST 1: the empty message
        HexFormat hex = HexFormat.of();
        SigningKey key = SigningKey.ed25519(hex.parseHex(
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assertEquals("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
                + "d25bf5f0595bbe24655141438e7a100b", hex.formatHex(key.sign(new byte[0])));
        assertEquals(KeyAlgorithm.ED25519, key.algorithm());
        assertThrows(IllegalArgumentException.class, () -> SigningKey.ed25519(new byte[31]));
    }


    @TempDir
    Path dir;

    @Test
    void didKeyOfTheW3cEd25519TestVector() {
        // did:key test vector (W3C CCG did-method-key): the RFC 8032 test 1 public key
        byte[] pub = HexFormat.of().parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        VerificationKey key = VerificationKey.of(KeyAlgorithm.ED25519, pub);
        assertTrue(key.did().startsWith("did:key:z6Mk"), key.did());
        assertEquals(key, VerificationKey.fromDid(key.did()));
        assertArrayEquals(pub, VerificationKey.fromDid(key.did()).publicKey());
    }

    @Test
    void ed25519SignatureMatchesRfc8032TestVector1() {
        // RFC 8032 §7.1 TEST 1: empty message
        byte[] pub = HexFormat.of().parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        byte[] sig = HexFormat.of().parseHex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        VerificationKey key = VerificationKey.of(KeyAlgorithm.ED25519, pub);
        assertTrue(key.verify(new byte[0], sig));
        sig[0] ^= 1;
        assertFalse(key.verify(new byte[0], sig));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void signsAndVerifiesAndTheDidNamesTheKey(KeyAlgorithm algorithm) {
        SigningKey key = SigningKey.generate(algorithm);
        byte[] data = "firmware manifest".getBytes(StandardCharsets.UTF_8);
        byte[] signature = key.sign(data);
        assertEquals(64, signature.length);
        VerificationKey fromDid = VerificationKey.fromDid(key.did());
        assertTrue(fromDid.verify(data, signature));
        assertFalse(fromDid.verify("other".getBytes(StandardCharsets.UTF_8), signature));
        assertFalse(SigningKey.generate(algorithm).verificationKey().verify(data, signature));
        assertTrue(key.did().startsWith(algorithm == KeyAlgorithm.ED25519 ? "did:key:z6Mk" : "did:key:zDn"),
                key.did());
        assertFalse(key.toString().contains("PRIVATE"));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aDidDecodedAgainIsTheSameKeyAndStillVerifies(KeyAlgorithm algorithm) {
        SigningKey key = SigningKey.generate(algorithm);
        byte[] data = "firmware manifest".getBytes(StandardCharsets.UTF_8);
        byte[] signature = key.sign(data);
        VerificationKey first = VerificationKey.fromDid(key.did());
        VerificationKey again = VerificationKey.fromDid(new String(key.did())); // equal, not identical, string
        assertSame(first, again, "the decoded key is kept, not decoded again");
        assertTrue(again.verify(data, signature));
        assertFalse(again.verify(data, SigningKey.generate(algorithm).sign(data)));
        // a bad did is refused every time, never remembered
        String bad = key.did().substring(0, key.did().length() - 3);
        assertThrows(IllegalArgumentException.class, () -> VerificationKey.fromDid(bad));
        assertThrows(IllegalArgumentException.class, () -> VerificationKey.fromDid(bad));
        assertThrows(IllegalArgumentException.class, () -> VerificationKey.fromDid(null));
    }

    @Test
    void rejectsMalformedDids() {
        assertThrows(IllegalArgumentException.class, () -> VerificationKey.fromDid("did:web:example.com"));
        assertThrows(IllegalArgumentException.class, () -> VerificationKey.fromDid("did:key:z6Mk0OIl"));
        String did = SigningKey.generate(KeyAlgorithm.ED25519).did();
        IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class,
                () -> VerificationKey.fromDid(did.substring(0, did.length() - 3)));
        assertTrue(truncated.getMessage().contains("invalid did:key"), truncated.getMessage());
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void keyFilesRoundTripPlainAndEncrypted(KeyAlgorithm algorithm) throws Exception {
        SigningKey key = SigningKey.generate(algorithm);
        Path plain = dir.resolve("plain.pem");
        Path encrypted = dir.resolve("enc.pem");
        Path pub = dir.resolve("key.pub");
        KeyFiles.writePrivateKey(plain, key, null);
        KeyFiles.writePrivateKey(encrypted, key, "correct horse".toCharArray());
        KeyFiles.writePublicKey(pub, key.verificationKey());

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)));
        assertTrue(Files.readString(encrypted).contains("ENCRYPTED PRIVATE KEY"));
        assertEquals(key.did(), KeyFiles.readPrivateKey(plain, null).did());
        assertEquals(key.did(), KeyFiles.readPrivateKey(encrypted, "correct horse".toCharArray()).did());
        assertEquals(key.did(), KeyFiles.readPublicKey(pub).did());

        KeyFileException wrong = assertThrows(KeyFileException.class,
                () -> KeyFiles.readPrivateKey(encrypted, "wrong".toCharArray()));
        assertTrue(wrong.getMessage().contains("wrong passphrase"), wrong.getMessage());
        KeyFileException none = assertThrows(KeyFileException.class, () -> KeyFiles.readPrivateKey(encrypted, null));
        assertTrue(none.getMessage().contains("is encrypted"), none.getMessage());
        KeyFileException exists = assertThrows(KeyFileException.class,
                () -> KeyFiles.writePrivateKey(plain, SigningKey.generate(algorithm), null));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
        assertEquals(key.did(), KeyFiles.readPrivateKey(plain, null).did(), "the existing key was not overwritten");
    }

    @Test
    void badKeyFilesGiveOneLineReasons() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertTrue(assertThrows(KeyFileException.class, () -> KeyFiles.readPrivateKey(missing, null)).getMessage()
                .contains("does not exist"));
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello");
        assertTrue(assertThrows(KeyFileException.class, () -> KeyFiles.readPrivateKey(garbage, null)).getMessage()
                .contains("not a PEM key file"));
        Path corrupt = Files.writeString(dir.resolve("corrupt.pem"),
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertTrue(assertThrows(KeyFileException.class, () -> KeyFiles.readPrivateKey(corrupt, null)).getMessage()
                .contains("corrupt"));
        Path pub = dir.resolve("k.pub");
        KeyFiles.writePublicKey(pub, SigningKey.generate(KeyAlgorithm.ED25519).verificationKey());
        assertTrue(assertThrows(KeyFileException.class, () -> KeyFiles.readPrivateKey(pub, null)).getMessage()
                .contains("holds a public key"));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void openSslReadsOurKeysAndWeReadItsKeys(KeyAlgorithm algorithm) throws Exception {
        SigningKey key = SigningKey.generate(algorithm);
        Path ours = dir.resolve("ours.pem");
        KeyFiles.writePrivateKey(ours, key, "pass phrase".toCharArray());
        Path ourPub = dir.resolve("ours.pub");
        KeyFiles.writePublicKey(ourPub, key.verificationKey());
        Path derived = dir.resolve("derived.pub");
        openssl("pkey", "-in", ours.toString(), "-passin", "pass:pass phrase", "-pubout", "-out", derived.toString());
        assertEquals(key.did(), KeyFiles.readPublicKey(derived).did(), "OpenSSL decrypts our key to the same key");

        Path theirs = dir.resolve("theirs.pem");
        if (algorithm == KeyAlgorithm.ED25519) {
            openssl("genpkey", "-algorithm", "ed25519", "-out", theirs.toString());
        } else {
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", theirs.toString());
        }
        Path theirPub = dir.resolve("theirs.pub");
        openssl("pkey", "-in", theirs.toString(), "-pubout", "-out", theirPub.toString());
        assertEquals(KeyFiles.readPublicKey(theirPub).did(), KeyFiles.readPrivateKey(theirs, null).did());

        if (algorithm == KeyAlgorithm.ED25519) {
            Path data = Files.writeString(dir.resolve("data"), "signed by us, checked by OpenSSL");
            Path sig = Files.write(dir.resolve("sig"), key.sign(Files.readAllBytes(data)));
            openssl("pkeyutl", "-verify", "-pubin", "-inkey", ourPub.toString(), "-rawin", "-in", data.toString(),
                    "-sigfile", sig.toString());
        }
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "openssl";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> String.join(" ", command) + ": " + out);
    }
}
