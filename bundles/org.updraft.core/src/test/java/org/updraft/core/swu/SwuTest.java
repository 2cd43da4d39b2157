package org.updraft.core.swu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * .swu archives against SWUpdate 2022.12 (Debian's {@code swupdate}, installed by {@code .ci/setup}) with
 * {@code openssl} and GNU {@code cpio}: archives the tools make are accepted by {@link SwuVerifier}; archives
 * {@link SwuWriter} makes are accepted by {@code swupdate -c}; an archive whose image does not match sw-description,
 * or signed by another key, is refused by both. Files are written under {@code target/swu-test}.
 */
class SwuTest {

    private static Path dir;
    private static Path cert;
    private static Path key;
    private static Path otherCert;
    private static Path otherKey;

    @BeforeAll
    static void keys() throws Exception {
        dir = Files.createDirectories(Path.of("target", "swu-test").toAbsolutePath());
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        otherCert = dir.resolve("other-cert.pem");
        otherKey = dir.resolve("other-key.pem");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "30", "-subj", "/CN=updraft-swu-test");
        run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", otherKey.toString(), "-out", otherCert.toString(), "-days", "30", "-subj",
                "/CN=someone-else");
    }

    private static String run(Path in, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    /** swupdate's check mode, as a device of hardware board:1.0 trusting {@code trusted}; true when accepted. */
    private static boolean swupdateAccepts(Path swu, Path trusted) throws Exception {
        return Swupdate.accepts(dir, swu, trusted, "board:1.0");
    }

    private static String description(String sha256, String hardware) {
        return "/* an A/B rootfs update */\nsoftware =\n{\n  version = \"1.0.0\";\n"
                + "  hardware-compatibility: [ " + hardware + " ];\n"
                + "  images: (\n    {\n      filename = \"rootfs.ext4\"; # the inactive rootfs\n"
                + "      device = \"/dev/null\";\n      type = \"raw\";\n      sha256 = \"" + sha256 + "\";\n"
                + "    }\n  );\n};\n";
    }

    private static Path image(Path in, long seed, int size) throws IOException {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return Files.write(Files.createDirectories(in).resolve("rootfs.ext4"), bytes);
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(SwuVerifier.sha256().digest(Files.readAllBytes(file)));
    }

    /** A .swu made by openssl and cpio alone, from sw-description stating {@code statedSha256}. */
    private static Path toolSwu(String name, Path image, String statedSha256, Path signKey, Path signCert)
            throws Exception {
        Path work = Files.createDirectories(dir.resolve(name + ".d"));
        Files.copy(image, work.resolve("rootfs.ext4"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(work.resolve("sw-description"), description(statedSha256, "\"1.0\", \"1.1\""));
        run(work, "openssl", "cms", "-sign", "-in", "sw-description", "-signer", signCert.toString(), "-inkey",
                signKey.toString(), "-outform", "DER", "-nosmimecap", "-binary", "-out", "sw-description.sig");
        Path swu = dir.resolve(name + ".swu");
        run(work, "sh", "-c", "printf 'sw-description\\nsw-description.sig\\nrootfs.ext4\\n' | cpio -o -H crc > "
                + swu);
        return swu;
    }

    private static SwuVerifier.Policy policy(Path trusted, long partition, String... hardware) throws IOException {
        return new SwuVerifier.Policy(SwuVerifier.readCertificates(trusted), List.of(hardware), partition);
    }

    private static SwuVerifier.Result verify(Path swu, SwuVerifier.Policy policy) throws Exception {
        try (FileChannel c = FileChannel.open(swu)) {
            return SwuVerifier.verify(c, Files.size(swu), policy);
        }
    }

    private static SwuException refused(Path swu, SwuVerifier.Policy policy, String problem) {
        SwuException e = assertThrows(SwuException.class, () -> verify(swu, policy));
        assertEquals(problem, e.problem(), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void archivesMadeByOpensslAndCpioAreAcceptedAsSwupdateAcceptsThem() throws Exception {
        Path image = image(dir.resolve("good-image"), 1, 300_000);
        Path swu = toolSwu("tool-good", image, sha256(image), key, cert);
        assertTrue(swupdateAccepts(swu, cert));
        SwuVerifier.Result result = verify(swu, policy(cert, 0x100000, "1.0"));
        assertEquals(300_000, result.imagesSize());
        assertEquals(List.of("1.0", "1.1"), result.description().hardwareCompatibility());
        assertEquals("raw", result.description().artifacts().get(0).type());
    }

    @Test
    void anImageThatDoesNotMatchItsSha256IsRefusedByBoth() throws Exception {
        Path image = image(dir.resolve("tampered-image"), 2, 50_000);
        String stated = sha256(image(dir.resolve("original-image"), 3, 50_000));
        Path swu = toolSwu("tool-tampered", image, stated, key, cert);
        assertTrue(!swupdateAccepts(swu, cert));
        assertEquals("image rootfs.ext4 in the .swu does not match its sha256 in sw-description",
                refused(swu, policy(cert, 0x100000), "invalid-hash").getMessage());
    }

    @Test
    void aSignatureByAnotherKeyIsRefusedByBoth() throws Exception {
        Path image = image(dir.resolve("other-image"), 4, 10_000);
        Path swu = toolSwu("tool-other-signer", image, sha256(image), otherKey, otherCert);
        assertTrue(swupdateAccepts(swu, otherCert), "the fixture is valid under its own certificate");
        assertTrue(!swupdateAccepts(swu, cert));
        assertEquals("sw-description signature does not verify with the class's certificate",
                refused(swu, policy(cert, 0x100000), "bad-signature").getMessage());
        verify(swu, policy(otherCert, 0x100000));
    }

    @Test
    void archivesSwuWriterMakesAreAcceptedBySwupdate() throws Exception {
        Path image = image(dir.resolve("writer-image"), 5, 123_457);
        Path swu = written("writer-good", description("$swupdate_get_sha256(rootfs.ext4)", "\"1.0\""), image);
        assertTrue(swupdateAccepts(swu, cert));
        verify(swu, policy(cert, 123_457, "1.0"));
        assertEquals(0, Files.size(swu) % 512, "padded to cpio's blocks");
        run(dir, "sh", "-c", "cpio -i -H crc --only-verify-crc < " + swu);
    }

    private static Path written(String name, String description, Path image) throws Exception {
        byte[] text = SwuWriter.complete(description, List.of(image));
        byte[] signature = SwuWriter.sign(text, SwuWriter.readPrivateKey(key),
                SwuVerifier.readCertificates(cert).get(0));
        Path swu = dir.resolve(name + ".swu");
        try (OutputStream out = Files.newOutputStream(swu)) {
            SwuWriter.write(out, text, signature, List.of(image));
        }
        return swu;
    }

    @Test
    void aByteFlippedInTheArchiveIsRefusedByBoth() throws Exception {
        Path image = image(dir.resolve("flip-image"), 6, 20_000);
        Path good = written("flip-good", description("$swupdate_get_sha256(rootfs.ext4)", "\"1.0\""), image);
        byte[] bytes = Files.readAllBytes(good);
        bytes[bytes.length - 4000] ^= 0x01;
        Path flipped = Files.write(dir.resolve("flipped.swu"), bytes);
        assertTrue(!swupdateAccepts(flipped, cert));
        assertTrue(refused(flipped, policy(cert, 0x100000), "bad-archive").getMessage()
                .startsWith("cpio checksum of rootfs.ext4 is 0x"));
    }

    @Test
    void classRequirementsPartitionAndHardware() throws Exception {
        Path image = image(dir.resolve("class-image"), 7, 4096);
        Path swu = written("class", description("$swupdate_get_sha256(rootfs.ext4)", "\"1.0\""), image);
        assertEquals("images of the .swu total 0x1000 bytes, larger than the partition 0xfff",
                refused(swu, policy(cert, 4095), "too-large").getMessage());
        assertEquals("sw-description's hardware-compatibility [1.0] does not include the class's revision 2.0",
                refused(swu, policy(cert, 4096, "1.0", "2.0"), "wrong-hardware").getMessage());
    }

    @Test
    void brokenArchivesAreRefusedWithAClearReason() throws Exception {
        Path image = image(dir.resolve("broken-image"), 8, 8192);
        Path good = written("broken-base", description("$swupdate_get_sha256(rootfs.ext4)", "\"1.0\""), image);
        byte[] bytes = Files.readAllBytes(good);
        SwuVerifier.Policy policy = policy(cert, 0x100000);

        Path truncated = Files.write(dir.resolve("truncated.swu"), java.util.Arrays.copyOf(bytes, 5000));
        assertTrue(refused(truncated, policy, "bad-archive").getMessage().contains("rootfs.ext4 claims 8192 bytes"));
        Path garbage = Files.write(dir.resolve("garbage.swu"), "this is not a cpio archive at all, not at all"
                .repeat(4).getBytes(StandardCharsets.US_ASCII));
        assertEquals("not a cpio newc/crc archive: header at byte 0 starts 'this i', expected 070701 or 070702",
                refused(garbage, policy, "bad-archive").getMessage());
        byte[] huge = bytes.clone();
        // sw-description's filesize field claims 0xFFFFFFFF bytes
        System.arraycopy("FFFFFFFF".getBytes(StandardCharsets.US_ASCII), 0, huge, 54, 8);
        Path claimsHuge = Files.write(dir.resolve("huge.swu"), huge);
        assertTrue(refused(claimsHuge, policy, "bad-archive").getMessage()
                .startsWith("cpio entry sw-description claims 4294967295 bytes"));
        Path empty = Files.write(dir.resolve("empty.swu"), new byte[0]);
        refused(empty, policy, "bad-archive");

        ByteArrayOutputStream unsigned = new ByteArrayOutputStream();
        byte[] text = SwuWriter.complete(description("$swupdate_get_sha256(rootfs.ext4)", "\"1.0\""),
                List.of(image));
        SwuWriter.write(unsigned, text, new byte[0], List.of(image));
        Path noSignature = Files.write(dir.resolve("empty-signature.swu"), unsigned.toByteArray());
        assertEquals("sw-description.sig is not a CMS signature (DER)",
                refused(noSignature, policy, "bad-signature").getMessage());
        assertTrue(!swupdateAccepts(noSignature, cert));
    }

    @Test
    void swDescriptionParsesLibconfig() throws Exception {
        SwDescription parsed = SwDescription.parse(("""
                // selections, as SWUpdate's dual-copy examples write them
                software = {
                  version = "2.0";
                  hardware-compatibility = ["1.0", "1.2"];
                  stable: {
                    copy1: { images: ( { filename = "rootfs" ".ext4"; device = "/dev/mmcblk0p2";
                                         sha256 = "%1$s"; installed-directly = true; } ); };
                    copy2: { images: ( { filename = "rootfs.ext4"; device = "/dev/mmcblk0p3";
                                         sha256 = "%1$s"; } ); };
                  };
                  scripts: ( { filename = "update.sh"; type = "shellscript"; sha256 = "%1$s"; } );
                  bootenv: ( { name = "rootpart"; value = "2"; } );
                  size = 0x100L; ratio = -1.5e3;
                };
                """).formatted("AB".repeat(32)).getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("1.0", "1.2"), parsed.hardwareCompatibility());
        assertEquals(3, parsed.artifacts().size());
        assertEquals("rootfs.ext4", parsed.artifacts().get(0).filename());
        assertEquals("/dev/mmcblk0p3", parsed.artifacts().get(1).device());
        assertEquals("ab".repeat(32), parsed.artifacts().get(2).sha256());
        assertEquals("scripts", parsed.artifacts().get(2).list());

        assertParseError("software = { version = \"1\";\n images: ( { filename = \"a\" } ;\n",
                "sw-description line 2: expected ',' or ')'");
        assertParseError("software = { x = \"open }", "sw-description line 1: string not closed");
        assertParseError("@include \"other.cfg\"\nsoftware = {};",
                "sw-description line 1: directives such as @include are not supported");
        assertParseError("software = {a = 1; a = 2;};", "sw-description line 1: setting 'a' appears twice");
        assertParseError("software = " + "(".repeat(100), "sw-description line 1: nested more than 32 deep");
        assertParseError("version = \"1\";", "sw-description has no 'software' group");
        assertParseError("software = { images: ( { filename = \"../etc/passwd\"; } ); };",
                "sw-description names a file '../etc/passwd' that cannot be an archive entry");
        assertParseError("software = { images: ( { filename = \"a\"; sha256 = \"12\"; } ); };",
                "sha256 of a in sw-description is not 64 hexadecimal digits");
        assertNotEquals(0, SwDescription.MAX_SIZE);
        assertParseError(" ".repeat(SwDescription.MAX_SIZE + 1), "sw-description is 262145 bytes, more than 262144");
    }

    private static void assertParseError(String text, String message) {
        SwuException e = assertThrows(SwuException.class,
                () -> SwDescription.parse(text.getBytes(StandardCharsets.UTF_8)));
        assertEquals("bad-sw-description", e.problem());
        assertEquals(message, e.getMessage());
    }
}
