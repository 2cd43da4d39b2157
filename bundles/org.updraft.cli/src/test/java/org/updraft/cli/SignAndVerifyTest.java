package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.multiformats.Cid;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;

class SignAndVerifyTest {

    @TempDir
    Path dir;

    Path key;
    String did;
    Path firmware;
    Path manifest;

    @BeforeEach
    void vendorKeyAndFirmware() throws Exception {
        key = dir.resolve("vendor.pem");
        did = Cli.run("keygen", "--out", key.toString()).ok().strip();
        // three chunks and a bit: a two-level UnixFS tree
        firmware = SeededFile.write(dir.resolve("fw.bin"), 42, 3 * 262144 + 1000);
        manifest = dir.resolve("fw.manifest");
    }

    private Cli.Result sign(Path key, String... extra) {
        List<String> args = new ArrayList<>(List.of("sign", "--key", key.toString(), "--firmware", firmware.toString(),
                "--vendor", "acme", "--class", "thermo-v2", "--version", "1.4.0", "--sequence", "7", "--out",
                manifest.toString()));
        args.addAll(Arrays.asList(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private Cli.Result verify(String... extra) {
        List<String> args = new ArrayList<>(List.of("verify", "--manifest", manifest.toString(), "--firmware",
                firmware.toString()));
        args.addAll(Arrays.asList(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private String pub() {
        return key + ".pub";
    }

    static Stream<Arguments> algorithmsAndPassphrases() {
        return KeygenCommandTest.algorithmsAndPassphrases();
    }

    @ParameterizedTest(name = "{0}, encrypted: {1}")
    @MethodSource("algorithmsAndPassphrases")
    void signsAManifestThatVerifies(KeyAlgorithm algorithm, boolean encrypted) throws Exception {
        Path k = dir.resolve("k-" + algorithm.label() + ".pem");
        Path pass = KeygenCommandTest.passphraseFile(dir);
        List<String> keygen = new ArrayList<>(List.of("keygen", "--out", k.toString(), "--alg", algorithm.label()));
        List<String> secret = encrypted ? List.of("--passphrase-file", pass.toString()) : List.of();
        keygen.addAll(secret);
        String signer = Cli.run(keygen.toArray(String[]::new)).ok().strip();

        Instant before = Instant.now().minusSeconds(1);
        List<String> extra = new ArrayList<>(List.of("--profile", "cortex-m4", "--min-version", "1.2.0"));
        extra.addAll(secret);
        String summary = sign(k, extra.toArray(String[]::new)).ok();

        byte[] image = Files.readAllBytes(firmware);
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(image);
        Manifest m = ManifestCodec.parse(Files.readAllBytes(manifest)).manifest();
        assertEquals("acme", m.vendor());
        assertEquals("thermo-v2", m.deviceClass());
        assertEquals("cortex-m4", m.profile());
        assertEquals("1.4.0", m.version());
        assertEquals("1.2.0", m.minimumInstalledVersion());
        assertEquals(7, m.sequence());
        assertEquals(image.length, m.size());
        assertArrayEquals(sha256, m.sha256());
        assertEquals(IpfsCid.of(firmware).v0(), m.cid().toString(), "CIDv0 as ipfs add computes it");
        assertEquals(signer, m.signer());
        assertTrue(!m.created().isBefore(before) && !m.created().isAfter(Instant.now()), m.created().toString());

        assertTrue(summary.startsWith("signed acme/thermo-v2/7 -> " + manifest + "\n"), summary);
        assertTrue(summary.contains(HexFormat.of().formatHex(sha256)), summary);
        assertTrue(summary.contains(m.cid().toString()), summary);
        assertTrue(summary.contains(signer), summary);
        assertFalse(summary.contains(KeygenCommandTest.PASSPHRASE));

        String valid = verify("--trust", k + ".pub", "--class", "thermo-v2", "--profile", "cortex-m4",
                "--installed-sequence", "6", "--installed-version", "1.3.0").ok();
        assertTrue(valid.startsWith("valid: acme/thermo-v2/7 "), valid);
        assertEquals(1, valid.lines().count());
        // a trusted key may be given as its did:key as well
        verify("--trust", signer).ok();
    }

    @Test
    void cidVersion1UsesRawLeavesAndVerifies() throws Exception {
        sign(key, "--cid-version", "1").ok();
        Cid cid = ManifestCodec.parse(Files.readAllBytes(manifest)).manifest().cid();
        assertEquals(1, cid.version());
        assertEquals(Cli.run("cid", "--cid-version", "1", firmware.toString()).ok().strip(), cid.toString());
        verify("--trust", pub()).ok();
    }

    @Test
    void aSingleChunkImageUnderCidVersion1IsOneRawBlock() throws Exception {
        firmware = SeededFile.write(dir.resolve("small.bin"), 1, 1000);
        sign(key, "--cid-version=1").ok();
        Manifest m = ManifestCodec.parse(Files.readAllBytes(manifest)).manifest();
        // a raw block's CID is the SHA-256 of the bytes themselves
        assertEquals(Cid.v1(Cid.RAW, m.sha256()), m.cid());
        verify("--trust", pub()).ok();
    }

    @Test
    void refusesToOverwriteAManifestUnlessForced() throws Exception {
        sign(key).ok();
        byte[] first = Files.readAllBytes(manifest);
        String line = sign(key).usageError();
        assertTrue(line.contains("already exists") && line.contains("--force"), line);
        assertArrayEquals(first, Files.readAllBytes(manifest));
        sign(key, "--force").ok();
        verify("--trust", pub()).ok();
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }

    // --- each rejection with its own code ---

    @Test
    void rejectsTamperedFirmware() throws Exception {
        sign(key).ok();
        byte[] image = Files.readAllBytes(firmware);
        image[image.length / 2] ^= 0x01;
        Files.write(firmware, image);
        String line = verify("--trust", pub()).rejected("digest-mismatch");
        assertTrue(line.contains("SHA-256"), line);
    }

    @Test
    void rejectsTruncatedFirmware() throws Exception {
        sign(key).ok();
        byte[] image = Files.readAllBytes(firmware);
        Files.write(firmware, Arrays.copyOf(image, image.length - 1));
        verify("--trust", pub()).rejected("size-mismatch");
    }

    @Test
    void rejectsAnUntrustedSigner() throws Exception {
        sign(key).ok();
        Path other = dir.resolve("other.pem");
        Cli.run("keygen", "--out", other.toString()).ok();
        String line = verify("--trust", other + ".pub").rejected("untrusted-signer");
        assertTrue(line.contains(did), line);
    }

    @Test
    void rejectsARevokedSigner() throws Exception {
        sign(key).ok();
        String line = verify("--trust", pub(), "--revoked", pub()).rejected("revoked-signer");
        assertTrue(line.contains(did) && line.contains("revoked"), line);
        // listed only as revoked, by DID
        Path other = dir.resolve("other.pem");
        Cli.run("keygen", "--out", other.toString()).ok();
        verify("--trust", other + ".pub", "--revoked", did).rejected("revoked-signer");
    }

    @Test
    void rejectsASequenceNotAboveTheInstalledOne() throws Exception {
        sign(key).ok();
        String equal = verify("--trust", pub(), "--installed-sequence", "7").rejected("sequence-not-newer");
        assertTrue(equal.contains("rollback"), equal);
        verify("--trust", pub(), "--installed-sequence", "8").rejected("sequence-not-newer");
        verify("--trust", pub(), "--installed-sequence", "6").ok();
    }

    @Test
    void rejectsAnotherDeviceClass() throws Exception {
        sign(key).ok();
        String line = verify("--trust", pub(), "--class", "thermo-v3").rejected("wrong-class");
        assertTrue(line.contains("thermo-v2") && line.contains("thermo-v3"), line);
    }

    @Test
    void rejectsAnotherProfile() throws Exception {
        sign(key, "--profile", "cortex-m4").ok();
        String line = verify("--trust", pub(), "--profile", "cortex-m7").rejected("wrong-profile");
        assertTrue(line.contains("cortex-m4") && line.contains("cortex-m7"), line);
    }

    @Test
    void rejectsAKeyTrustedForAnotherVendor() throws Exception {
        sign(key).ok();
        verify("--trust", pub(), "--vendor", "globex").rejected("wrong-vendor");
    }

    @Test
    void rejectsAnInstalledVersionBelowTheMinimum() throws Exception {
        sign(key, "--min-version", "1.2.0").ok();
        verify("--trust", pub(), "--installed-version", "1.1.9").rejected("installed-version-too-old");
        verify("--trust", pub(), "--installed-version", "1.2.0").ok();
    }

    @Test
    void rejectsAManifestAlteredAfterSigning() throws Exception {
        sign(key).ok();
        byte[] bytes = Files.readAllBytes(manifest);
        byte[] version = "1.4.0".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(bytes, version);
        assertTrue(at > 0);
        bytes[at + 2] = '9'; // 1.9.0: still a well-formed manifest, no longer the signed one
        Files.write(manifest, bytes);
        String line = verify("--trust", pub()).rejected("bad-signature");
        assertTrue(line.contains("altered"), line);
    }

    @Test
    void rejectsAnImageWhoseCidIsNotTheManifests() throws Exception {
        // a genuine signature over the right size and digest, but a CID that names other bytes
        SigningKey signer = KeyFiles.readPrivateKey(key, null);
        byte[] image = Files.readAllBytes(firmware);
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(image);
        Cid elsewhere = Cid.v0(MessageDigest.getInstance("SHA-256").digest("other".getBytes()));
        Manifest m = new Manifest("acme", "thermo-v2", null, "1.4.0", 7, image.length, sha256, elsewhere, null,
                Instant.now(), signer.did());
        Files.write(manifest, ManifestCodec.sign(m, signer));
        String line = verify("--trust", pub()).rejected("cid-mismatch");
        assertTrue(line.contains(IpfsCid.of(firmware).v0()) && line.contains(elsewhere.toString()), line);
    }

    @Test
    void acceptsACidVersion1MadeWithoutRawLeaves() throws Exception {
        // what 'ipfs add --cid-version 1 --raw-leaves=false' gives, signed by other tooling
        Cid dagPbLeaves = Cid.parse(Cli.run("cid", "--cid-version", "1", "--raw-leaves=false", firmware.toString())
                .ok().strip());
        SigningKey signer = KeyFiles.readPrivateKey(key, null);
        byte[] image = Files.readAllBytes(firmware);
        Manifest m = new Manifest("acme", "thermo-v2", null, "1.4.0", 7, image.length,
                MessageDigest.getInstance("SHA-256").digest(image), dagPbLeaves, null, Instant.now(), signer.did());
        Files.write(manifest, ManifestCodec.sign(m, signer));
        verify("--trust", pub()).ok();
    }

    @Test
    void aCorruptSignatureIsRejectedNotMisread() throws Exception {
        sign(key).ok();
        byte[] bytes = Files.readAllBytes(manifest);
        bytes[bytes.length - 1] ^= 0x40; // last byte of the signature
        Files.write(manifest, bytes);
        verify("--trust", pub()).rejected("bad-signature");
    }

    @Test
    void signingChecksTheKeyBeforeReadingTheImageAndWritesNothingOnFailure() throws Exception {
        Path encrypted = dir.resolve("enc.pem");
        Path pass = KeygenCommandTest.passphraseFile(dir);
        Cli.run("keygen", "--out", encrypted.toString(), "--passphrase-file", pass.toString()).ok();
        Path wrong = Files.writeString(dir.resolve("wrong.txt"), "not the passphrase");
        String line = sign(encrypted, "--passphrase-file", wrong.toString()).usageError();
        assertTrue(line.contains("passphrase"), line);
        assertFalse(line.contains("not the passphrase"));
        assertFalse(Files.exists(manifest));
        String missing = sign(encrypted).usageError();
        assertTrue(missing.contains("--passphrase-file"), missing);
        assertFalse(Files.exists(manifest));
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
