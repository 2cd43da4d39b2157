package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.updraft.core.swu.Swupdate;
import org.updraft.core.swu.SwuException;
import org.updraft.core.swu.SwuVerifier;

/**
 * {@code updraft swu-build} against Debian's SWUpdate 2022.12 ({@code swupdate -c}, installed by
 * {@code .ci/setup}): what it writes is accepted, with an RSA certificate and with an ECDSA code-signing one
 * ({@code --cert-purpose codeSigning}); the same archive repacked by GNU cpio with one image changed is refused by
 * swupdate and by the library the Linux profile checks with. Files go to {@code target/swu-build-test}.
 */
class SwuBuildCommandTest {

    private static Path dir;

    @BeforeAll
    static void keys() throws Exception {
        dir = Files.createDirectories(Path.of("target", "swu-build-test").toAbsolutePath());
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa-key.pem", "-out",
                "rsa-cert.pem", "-days", "30", "-subj", "/CN=camera-updates");
        run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ec-key.pem", "-out", "ec-cert.pem", "-days", "30", "-subj", "/CN=camera-code-signing",
                "-addext", "extendedKeyUsage=codeSigning", "-addext", "keyUsage=digitalSignature");
    }

    private static String run(Path in, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    private static boolean swupdateAccepts(Path swu, String cert, String... more) throws Exception {
        return Swupdate.accepts(dir, swu, dir.resolve(cert), "camera:1.0", more);
    }

    private static Path file(String name, long seed, int size) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return Files.write(Files.createDirectories(dir.resolve("images")).resolve(name), bytes);
    }

    private static Path description(String name, String rootfsSha256) throws Exception {
        return Files.writeString(dir.resolve(name), """
                software = {
                  version = "2.1.0";
                  hardware-compatibility = [ "1.0" ];
                  images: ( {
                    filename = "rootfs.ext4";
                    device = "/dev/null";
                    type = "raw";
                    sha256 = "%s";
                  } );
                  scripts: ( {
                    filename = "post.sh";
                    type = "postinstall";
                    sha256 = "$swupdate_get_sha256(post.sh)";
                  } );
                };
                """.formatted(rootfsSha256));
    }

    private static Cli.Result build(Path description, String key, String cert, Path out, Path... images) {
        List<String> args = new ArrayList<>(List.of("swu-build", "--sw-description", description.toString(),
                "--key", dir.resolve(key).toString(), "--cert", dir.resolve(cert).toString(), "--out",
                out.toString(), "--force"));
        images = images.length == 0 ? new Path[] {dir.resolve("images/rootfs.ext4"), dir.resolve("images/post.sh")}
                : images;
        for (Path image : images) {
            args.add(image.toString());
        }
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void swupdateAcceptsWhatItBuilds() throws Exception {
        file("rootfs.ext4", 1, 400_000);
        file("post.sh", 2, 100);
        Path description = description("sw-description", "$swupdate_get_sha256(rootfs.ext4)");
        Path rsa = dir.resolve("rsa.swu");
        String out = build(description, "rsa-key.pem", "rsa-cert.pem", rsa).ok();
        assertTrue(out.contains("signed by CN=camera-updates"), out);
        assertTrue(out.contains("images   400000 bytes"), out);
        assertTrue(swupdateAccepts(rsa, "rsa-cert.pem"));
        assertFalse(swupdateAccepts(rsa, "ec-cert.pem", "--cert-purpose", "codeSigning"));

        Path ec = dir.resolve("ec.swu");
        build(description, "ec-key.pem", "ec-cert.pem", ec).ok();
        assertTrue(swupdateAccepts(ec, "ec-cert.pem", "--cert-purpose", "codeSigning"));
    }

    @Test
    void anImageChangedAfterSigningIsRefusedBySwupdateAndTheProfileLibrary() throws Exception {
        file("rootfs.ext4", 3, 200_000);
        file("post.sh", 4, 50);
        Path good = dir.resolve("to-tamper.swu");
        build(description("sw-description-tamper", "$swupdate_get_sha256(rootfs.ext4)"), "rsa-key.pem",
                "rsa-cert.pem", good).ok();
        Path unpacked = Files.createDirectories(dir.resolve("unpacked"));
        run(unpacked, "sh", "-c", "cpio -i -u -H crc < " + good);
        byte[] rootfs = Files.readAllBytes(unpacked.resolve("rootfs.ext4"));
        rootfs[100_000] ^= 0x40;
        Files.write(unpacked.resolve("rootfs.ext4"), rootfs);
        Path tampered = dir.resolve("tampered.swu");
        run(unpacked, "sh", "-c", "printf 'sw-description\\nsw-description.sig\\nrootfs.ext4\\npost.sh\\n' | "
                + "cpio -o -H crc > " + tampered);

        assertFalse(swupdateAccepts(tampered, "rsa-cert.pem"));
        try (FileChannel c = FileChannel.open(tampered)) {
            SwuException e = org.junit.jupiter.api.Assertions.assertThrows(SwuException.class,
                    () -> SwuVerifier.verify(c, c.size(), new SwuVerifier.Policy(SwuVerifier.readCertificates(
                            dir.resolve("rsa-cert.pem")), List.of("1.0"), Long.MAX_VALUE)));
            assertEquals("image rootfs.ext4 in the .swu does not match its sha256 in sw-description",
                    e.getMessage());
        }
        assertTrue(swupdateAccepts(good, "rsa-cert.pem"), "the untampered archive is accepted");
    }

    @Test
    void badInputIsAOneLineErrorAndWritesNothing() throws Exception {
        file("rootfs.ext4", 5, 1000);
        file("post.sh", 6, 10);
        Path out = dir.resolve("refused.swu");
        Files.deleteIfExists(out);
        Path wrongSha = description("sw-description-wrong", "00".repeat(32));
        assertEquals("updraft: image rootfs.ext4 does not match its sha256 in sw-description",
                build(wrongSha, "rsa-key.pem", "rsa-cert.pem", out).usageError());
        Path placeholder = description("sw-description-ok", "$swupdate_get_sha256(rootfs.ext4)");
        assertEquals("updraft: image extra.bin is not named in sw-description", build(placeholder, "rsa-key.pem",
                "rsa-cert.pem", out, dir.resolve("images/rootfs.ext4"), dir.resolve("images/post.sh"),
                file("extra.bin", 7, 10)).usageError());
        assertEquals("updraft: sw-description asks for the sha256 of post.sh, which is not among the images given",
                build(placeholder, "rsa-key.pem", "rsa-cert.pem", out, dir.resolve("images/rootfs.ext4"))
                        .usageError());
        String mismatch = build(placeholder, "ec-key.pem", "rsa-cert.pem", out).usageError();
        assertTrue(mismatch.contains("sw-description signature does not verify"), mismatch);
        Path notLibconfig = Files.writeString(dir.resolve("sw-description-broken"), "software = { images: ( ");
        assertTrue(build(notLibconfig, "rsa-key.pem", "rsa-cert.pem", out).usageError()
                .startsWith("updraft: sw-description line 1: "));
        assertFalse(Files.exists(out), "nothing written for refused input");
    }
}
