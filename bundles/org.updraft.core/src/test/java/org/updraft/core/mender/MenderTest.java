package org.updraft.core.mender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.XZInputStream;

/**
 * Mender artifacts against Debian's {@code mender-artifact} 3.9 (installed by {@code .ci/setup}): artifacts it
 * writes (gzip and uncompressed, RSA- and ECDSA-signed with keys openssl makes, and unsigned) are accepted by
 * {@link MenderVerifier} exactly when {@code mender-artifact validate} accepts them; a changed payload byte, a
 * changed manifest, a wrong device type and a foreign signature are refused by both, each with its own reason;
 * xz ({@code --compression lzma}) is read through a decompressor over xz for Java, as the Linux profile gives one.
 * Files are written under {@code target/mender-test}.
 */
class MenderTest {

    private static final long PARTITION = 1 << 20;

    private static Path dir;
    private static Path image;
    private static Path rsaKey;
    private static Path rsaPub;
    private static Path ecKey;
    private static Path ecPub;
    private static Path otherPub;

    @BeforeAll
    static void keys() throws Exception {
        dir = Files.createDirectories(Path.of("target", "mender-test").toAbsolutePath());
        byte[] bytes = new byte[200_000];
        new Random(12).nextBytes(bytes);
        image = Files.write(dir.resolve("rootfs.ext4"), bytes);
        rsaKey = dir.resolve("rsa.pem");
        rsaPub = dir.resolve("rsa.pub");
        ecKey = dir.resolve("ec.pem");
        ecPub = dir.resolve("ec.pub");
        otherPub = dir.resolve("other.pub");
        // mender-artifact 3.9 reads PKCS#1 RSA and SEC 1 EC private keys ("traditional" PEM)
        run("openssl", "genrsa", "-traditional", "-out", rsaKey.toString(), "2048");
        run("openssl", "pkey", "-in", rsaKey.toString(), "-pubout", "-out", rsaPub.toString());
        run("openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", ecKey.toString());
        run("openssl", "pkey", "-in", ecKey.toString(), "-pubout", "-out", ecPub.toString());
        Path other = dir.resolve("other.pem");
        run("openssl", "genrsa", "-traditional", "-out", other.toString(), "2048");
        run("openssl", "pkey", "-in", other.toString(), "-pubout", "-out", otherPub.toString());
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    /** {@code mender-artifact write rootfs-image}, with {@code more} options (-k, --compression). */
    private static Path write(String name, String deviceType, String... more) throws Exception {
        Path artifact = dir.resolve(name + ".mender");
        Files.deleteIfExists(artifact);
        List<String> command = new ArrayList<>(List.of("mender-artifact", "write", "rootfs-image", "-t", deviceType,
                "-t", "camera-v2", "-n", "release-" + name, "-f", image.toString(), "-o", artifact.toString()));
        command.addAll(List.of(more));
        run(command.toArray(String[]::new));
        return artifact;
    }

    /** {@code mender-artifact validate}, with the verification key when given; true when it accepts. */
    private static boolean validates(Path artifact, Path key) throws Exception {
        List<String> command = new ArrayList<>(List.of("mender-artifact", "validate"));
        if (key != null) {
            command.addAll(List.of("-k", key.toString()));
        }
        command.add(artifact.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("validate.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return p.exitValue() == 0;
    }

    private static MenderVerifier.Policy policy(Path key, long partition, String... deviceTypes) throws IOException {
        List<PublicKey> keys = key == null ? List.of() : MenderVerifier.readPublicKeys(key);
        return new MenderVerifier.Policy(keys, List.of(deviceTypes), partition);
    }

    private static MenderVerifier.Result verify(Path artifact, MenderVerifier.Policy policy) throws Exception {
        try (FileChannel c = FileChannel.open(artifact)) {
            return MenderVerifier.verify(c, Files.size(artifact), policy);
        }
    }

    private static MenderException refused(Path artifact, MenderVerifier.Policy policy, String problem) {
        MenderException e = assertThrows(MenderException.class, () -> verify(artifact, policy));
        assertEquals(problem, e.problem(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    /** The artifact with the bytes at the first occurrence of {@code find} replaced by {@code replace}. */
    private static Path patched(Path artifact, String name, byte[] find, byte[] replace) throws Exception {
        byte[] bytes = Files.readAllBytes(artifact);
        int at = indexOf(bytes, find);
        assertTrue(at >= 0, "pattern not in " + artifact);
        System.arraycopy(replace, 0, bytes, at, replace.length);
        return Files.write(dir.resolve(name + ".mender"), bytes);
    }

    private static int indexOf(byte[] bytes, byte[] find) {
        outer: for (int i = 0; i + find.length <= bytes.length; i++) {
            for (int j = 0; j < find.length; j++) {
                if (bytes[i + j] != find[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void artifactsMenderArtifactWritesAreAcceptedAsItValidatesThem() throws Exception {
        Path unsigned = write("unsigned", "camera");
        assertTrue(validates(unsigned, null));
        MenderVerifier.Result result = verify(unsigned, policy(null, PARTITION, "camera"));
        assertEquals("release-unsigned", result.artifactName());
        assertEquals(List.of("camera", "camera-v2"), result.deviceTypes());
        assertEquals(List.of("rootfs-image"), result.payloadTypes());
        assertEquals(Files.size(image), result.payloadSize());
        assertFalse(result.signed());

        Path plain = write("plain", "camera", "--compression", "none");
        assertTrue(validates(plain, null));
        assertEquals(Files.size(image), verify(plain, policy(null, PARTITION, "camera", "camera-v2")).payloadSize());

        Path rsa = write("rsa", "camera", "-k", rsaKey.toString());
        assertTrue(validates(rsa, rsaPub));
        assertTrue(verify(rsa, policy(rsaPub, PARTITION, "camera")).signed());

        Path ec = write("ec", "camera", "-k", ecKey.toString(), "--compression", "none");
        assertTrue(validates(ec, ecPub));
        assertTrue(verify(ec, policy(ecPub, PARTITION, "camera")).signed());
        // without a key the signature is not required, as for a device whose Mender client has none
        assertFalse(verify(ec, policy(null, PARTITION, "camera")).signed());
    }

    @Test
    void xzArtifactsAreReadThroughTheCallersDecompressor() throws Exception {
        Path lzma = write("xz", "camera", "--compression", "lzma", "-k", rsaKey.toString());
        assertTrue(validates(lzma, rsaPub));
        MenderVerifier.Policy xz = new MenderVerifier.Policy(MenderVerifier.readPublicKeys(rsaPub), List.of("camera"),
                PARTITION, Map.of("xz", in -> new XZInputStream(in, 80 * 1024)));
        MenderVerifier.Result result = verify(lzma, xz);
        assertEquals(Files.size(image), result.payloadSize());
        assertTrue(result.signed());

        // a byte changed inside the compressed payload (random data: xz stores it in uncompressed chunks, so the
        // payload's sha256 or xz's own check at the block's end finds it): a refusal, not an I/O error
        byte[] bytes = Files.readAllBytes(lzma);
        bytes[bytes.length - 20_000] ^= 0x04;
        Path corrupt = Files.write(dir.resolve("xz-corrupt.mender"), bytes);
        assertFalse(validates(corrupt, rsaPub));
        MenderException e = assertThrows(MenderException.class, () -> verify(corrupt, xz));
        assertTrue(List.of("bad-artifact", "invalid-hash").contains(e.problem()), e.problem() + ": " + e.getMessage());

    }

    @Test
    void aChangedPayloadByteIsRefusedByBoth() throws Exception {
        Path good = write("payload", "camera", "--compression", "none");
        byte[] bytes = Files.readAllBytes(image);
        byte[] find = Arrays.copyOfRange(bytes, 1000, 1032);
        byte[] changed = find.clone();
        changed[7] ^= 1;
        Path tampered = patched(good, "payload-changed", find, changed);
        assertFalse(validates(tampered, null));
        assertEquals("data/0000/rootfs.ext4 does not match its sha256 in the manifest",
                refused(tampered, policy(null, PARTITION, "camera"), "invalid-hash").getMessage());

        // in a gzip payload the same change breaks the compressed stream first
        Path gz = write("payload-gz", "camera");
        byte[] all = Files.readAllBytes(gz);
        all[all.length / 2] ^= 0x10;
        Path corrupt = Files.write(dir.resolve("payload-gz-changed.mender"), all);
        assertFalse(validates(corrupt, null));
        MenderException e = assertThrows(MenderException.class, () -> verify(corrupt, policy(null, PARTITION,
                "camera")));
        assertTrue(List.of("bad-artifact", "invalid-hash").contains(e.problem()), e.problem() + ": " + e.getMessage());
    }

    @Test
    void aChangedManifestIsRefusedByBoth() throws Exception {
        Path signed = write("manifest", "camera", "-k", rsaKey.toString(), "--compression", "none");
        byte[] manifest = run("tar", "xOf", signed.toString(), "manifest").getBytes(StandardCharsets.US_ASCII);
        byte[] changed = manifest.clone();
        changed[0] = (byte) (changed[0] == 'a' ? 'b' : 'a');
        Path tampered = patched(signed, "manifest-changed", manifest, changed);
        assertFalse(validates(tampered, rsaPub));
        refused(tampered, policy(rsaPub, PARTITION, "camera"), "bad-signature");
        // with no key to check it against, the changed checksum itself is found
        refused(tampered, policy(null, PARTITION, "camera"), "invalid-hash");
    }

    @Test
    void aForeignOrMissingSignatureIsRefusedByBoth() throws Exception {
        Path rsa = write("foreign", "camera", "-k", rsaKey.toString());
        assertFalse(validates(rsa, otherPub));
        refused(rsa, policy(otherPub, PARTITION, "camera"), "bad-signature");
        Path ec = write("foreign-ec", "camera", "-k", ecKey.toString());
        assertFalse(validates(ec, rsaPub));
        refused(ec, policy(rsaPub, PARTITION, "camera"), "bad-signature");

        Path unsigned = write("nosig", "camera");
        assertFalse(validates(unsigned, rsaPub));
        assertEquals("the artifact is not signed (no manifest.sig) and the class requires a signature under its "
                + "Mender verification key", refused(unsigned, policy(rsaPub, PARTITION, "camera"), "no-signature")
                .getMessage());
    }

    @Test
    void theClassDeviceTypeAndPartitionAreRequired() throws Exception {
        Path doorbell = write("doorbell", "doorbell");
        assertTrue(validates(doorbell, null));
        assertEquals("the artifact's artifact_depends.device_type [doorbell, camera-v2] does not include the class's "
                + "device type camera", refused(doorbell, policy(null, PARTITION, "camera"), "wrong-device-type")
                .getMessage());
        refused(doorbell, policy(null, Files.size(image) - 1, "doorbell"), "too-large");
        assertEquals(Files.size(image), verify(doorbell, policy(null, Files.size(image), "doorbell")).payloadSize());
    }

    @Test
    void unsupportedAndBrokenInputIsRefusedWithoutReadingItWhole() throws Exception {
        Path lzma = write("lzma", "camera", "--compression", "lzma");
        assertTrue(validates(lzma, null));
        assertEquals("header.tar.xz is compressed with xz; supported: gzip, none", refused(lzma, policy(null,
                PARTITION, "camera"), "unsupported-compression").getMessage());

        byte[] good = Files.readAllBytes(write("broken", "camera"));
        refused(Files.write(dir.resolve("truncated.mender"), Arrays.copyOf(good, good.length - 3000)),
                policy(null, PARTITION, "camera"), "bad-artifact");
        refused(Files.write(dir.resolve("text.mender"), "#!/bin/sh\necho not an update\n".repeat(40)
                .getBytes(StandardCharsets.US_ASCII)), policy(null, PARTITION, "camera"), "bad-artifact");
        byte[] trailing = Arrays.copyOf(good, good.length + 512);
        trailing[trailing.length - 1] = 1;
        refused(Files.write(dir.resolve("trailing.mender"), trailing), policy(null, PARTITION, "camera"),
                "bad-artifact");

        // a version entry claiming 8 GiB: refused from its header, before any of it is read
        byte[] header = tarHeader("version", (1L << 33) - 1);
        Path huge = Files.write(dir.resolve("huge.mender"), header);
        assertEquals("version in the artifact is 8589934591 bytes, more than the 4096 allowed",
                refused(huge, policy(null, PARTITION, "camera"), "bad-artifact").getMessage());
    }

    @Test
    void anotherFormatVersionIsRefused() throws Exception {
        Path good = write("v2", "camera", "--compression", "none");
        Path v2 = patched(good, "v2-changed", "\"version\":3".getBytes(StandardCharsets.US_ASCII),
                "\"version\":2".getBytes(StandardCharsets.US_ASCII));
        assertFalse(validates(v2, null));
        // the manifest's checksum of version no longer matches either; the version is read first
        refused(v2, policy(null, PARTITION, "camera"), "unsupported-artifact");
    }

    /** A ustar header block of a regular file. */
    private static byte[] tarHeader(String name, long size) {
        ByteBuffer block = ByteBuffer.allocate(512);
        block.put(name.getBytes(StandardCharsets.US_ASCII));
        block.position(100).put("0000644\0".getBytes(StandardCharsets.US_ASCII));
        block.position(124).put(String.format("%011o\0", size).getBytes(StandardCharsets.US_ASCII));
        block.position(148).put("        ".getBytes(StandardCharsets.US_ASCII));
        block.position(156).put((byte) '0');
        block.position(257).put("ustar\00000".getBytes(StandardCharsets.US_ASCII));
        byte[] bytes = block.array();
        long sum = 0;
        for (byte b : bytes) {
            sum += b & 0xFF;
        }
        System.arraycopy(String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII), 0, bytes, 148, 8);
        return bytes;
    }

    @Test
    void otherShapesMenderArtifactWritesAreAcceptedToo() throws Exception {
        // a state script, provides, depends and groups in the header
        Path script = Files.writeString(dir.resolve("ArtifactInstall_Enter_00"), "#!/bin/sh\necho installing\n");
        Path scripted = write("scripted", "camera", "-s", script.toString(), "--provides", "foo:bar", "--depends",
                "rootfs-image.version:rel-0", "-N", "rel-0", "-g", "cameras", "-G", "cameras-old");
        assertTrue(validates(scripted, null));
        assertEquals("release-scripted", verify(scripted, policy(null, PARTITION, "camera")).artifactName());

        // an update module's payload of two files, with meta-data
        Path second = Files.write(dir.resolve("second.bin"), new byte[] {1, 2, 3});
        Path meta = Files.writeString(dir.resolve("meta.json"), "{\"key\": \"value\", \"n\": [1, 2.5e3, true, null]}");
        Path module = dir.resolve("module.mender");
        Files.deleteIfExists(module);
        run("mender-artifact", "write", "module-image", "-T", "script", "-t", "camera", "-n", "module", "-f",
                image.toString(), "-f", second.toString(), "-m", meta.toString(), "-o", module.toString());
        assertTrue(validates(module, null));
        MenderVerifier.Result result = verify(module, policy(null, PARTITION, "camera"));
        assertEquals(List.of("script"), result.payloadTypes());
        assertEquals(Files.size(image) + 3, result.payloadSize());

        // format version 2, which mender-artifact still writes on request, is not read
        Path v2 = dir.resolve("v2.mender");
        Files.deleteIfExists(v2);
        run("mender-artifact", "write", "rootfs-image", "-v", "2", "-t", "camera", "-n", "v2", "-f", image.toString(),
                "-o", v2.toString());
        assertEquals("the artifact is of format version 2; only version 3 is supported",
                refused(v2, policy(null, PARTITION, "camera"), "unsupported-artifact").getMessage());
    }
}
