package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code updraft mcuboot-sign} and {@code mcuboot-verify} against imgtool's fixture images in
 * {@code ../shared/fixtures/mcuboot} (read there, never copied): signing gives imgtool's bytes, verifying says
 * what imgtool's verify said (recorded in the fixtures' verify-output.txt).
 */
class McubootCommandsTest {

    /** The fixtures' COMMON options. */
    private static final List<String> COMMON = List.of("--header-size", "0x200", "--align", "4", "--version",
            "1.2.3+45", "--slot-size", "0x20000", "--pad-header", "--security-counter", "7");

    static Path fixtures;
    static Path dir;

    @BeforeAll
    static void locate() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "repository root not found");
        fixtures = root.resolve("../shared/fixtures/mcuboot").normalize();
        assertTrue(Files.isDirectory(fixtures), "MCUboot fixtures missing: " + fixtures);
        dir = Files.createDirectories(Path.of("target", "mcuboot-cli").toAbsolutePath());
    }

    private static String fx(String name) {
        return fixtures.resolve(name).toString();
    }

    private static Path fresh(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.deleteIfExists(p);
        return p;
    }

    private static Cli.Result sign(String key, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("mcuboot-sign"));
        if (key != null) {
            args.addAll(List.of("--key", fx(key)));
        }
        args.addAll(COMMON);
        args.addAll(Arrays.asList(extra));
        args.addAll(List.of(fx("fw.bin"), out.toString()));
        return Cli.run(args.toArray(String[]::new));
    }

    static Stream<Arguments> byteIdentical() {
        return Stream.of(Arguments.of("signed-ed25519.bin", "fx-ed25519.pem", new String[0]),
                Arguments.of("signed-ed25519-padded.bin", "fx-ed25519.pem", new String[] {"--pad"}),
                Arguments.of("signed-ed25519-pure.bin", "fx-ed25519.pem", new String[] {"--pure"}),
                Arguments.of("unsigned-hashonly.bin", null, new String[0]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("byteIdentical")
    void signsImgtoolsBytes(String fixture, String key, String[] extra) throws Exception {
        Path out = fresh("ours-" + fixture);
        String printed = sign(key, out, extra).ok();
        assertArrayEquals(Files.readAllBytes(fixtures.resolve(fixture)), Files.readAllBytes(out), fixture);
        assertTrue(printed.contains("version  1.2.3+45"), printed);
    }

    @Test
    void signsWithEcdsaWhatVerifies() throws Exception {
        Path out = fresh("ours-ecdsa.bin");
        sign("fx-ecdsa-p256.pem", out).ok();
        String printed = Cli.run("mcuboot-verify", "--key", fx("fx-ecdsa-p256.pub.pem"), out.toString()).ok();
        assertTrue(printed.contains("d483032d54f6589ad63e667c6fef80e1cf39e257de0ab6c0ea680ec5d7dc0c68"), printed);
        assertTrue(printed.contains("signature verifies: ECDSA P-256 key"), printed);
        // and imgtool's own ECDSA image verifies with the private key file too
        Cli.run("mcuboot-verify", "--key", fx("fx-ecdsa-p256.pem"), fx("signed-ecdsa-p256.bin")).ok();
    }

    static Stream<Arguments> accepted() {
        return Stream.of(Arguments.of("signed-ed25519.bin", "fx-ed25519.pem"),
                Arguments.of("signed-ed25519.bin", "fx-ed25519.pub.pem"),
                Arguments.of("signed-ed25519-padded.bin", "fx-ed25519.pem"),
                Arguments.of("signed-ed25519-pure.bin", "fx-ed25519.pem"),
                Arguments.of("signed-ecdsa-p256.bin", "fx-ecdsa-p256.pem"),
                Arguments.of("signed-ecdsa-p256.bin", "fx-ecdsa-p256.pub.pem"),
                Arguments.of("unsigned-hashonly.bin", null),
                Arguments.of("signed-ed25519.bin", null),
                Arguments.of("tampered-sig-ed25519.bin", null));
    }

    @ParameterizedTest(name = "{0} with key {1}")
    @MethodSource("accepted")
    void acceptsWhatImgtoolAccepted(String image, String key) {
        Cli.Result r = key == null ? Cli.run("mcuboot-verify", fx(image))
                : Cli.run("mcuboot-verify", "--key", fx(key), fx(image));
        String printed = r.ok();
        assertTrue(printed.startsWith("valid: MCUboot image 1.2.3+45"), printed);
        assertTrue(printed.contains(key == null ? "not checked: no --key given" : "signature verifies"), printed);
    }

    static Stream<Arguments> rejected() {
        return Stream.of(Arguments.of("unsigned-hashonly.bin", "fx-ed25519.pem", "no-signature"),
                Arguments.of("tampered-ed25519.bin", "fx-ed25519.pem", "invalid-hash"),
                Arguments.of("tampered-ed25519.bin", null, "invalid-hash"),
                Arguments.of("signed-ed25519.bin", "fx-ecdsa-p256.pem", "no-signature"),
                Arguments.of("signed-ed25519-padded.bin", "fx-ecdsa-p256.pub.pem", "no-signature"),
                Arguments.of("signed-ecdsa-p256.bin", "fx-ed25519.pem", "no-signature"),
                Arguments.of("tampered-sig-ed25519.bin", "fx-ed25519.pem", "no-signature"),
                Arguments.of("fw.bin", null, "bad-magic"));
    }

    @ParameterizedTest(name = "{0} with key {1}: {2}")
    @MethodSource("rejected")
    void rejectsWhatImgtoolRejected(String image, String key, String code) {
        Cli.Result r = key == null ? Cli.run("mcuboot-verify", fx(image))
                : Cli.run("mcuboot-verify", "--key", fx(key), fx(image));
        String line = r.rejected(code);
        if (code.equals("invalid-hash")) {
            assertTrue(line.contains("image has an invalid hash"), line);
        }
        if (code.equals("no-signature")) {
            assertTrue(line.contains("no signature found for the given key"), line);
        }
    }

    @Test
    void rejectsAnImageTooLargeForTheSlot() {
        String line = Cli.run("mcuboot-verify", "--slot-size", "0x1000", "--align", "4",
                fx("signed-ed25519.bin")).rejected("too-large");
        assertEquals("updraft: rejected (too-large): image 0xe54 bytes larger than slot 0x1000 minus trailer 0x630 "
                + "(room for 0x9d0 bytes)", line);
        assertTrue(Cli.run("mcuboot-verify", "--slot-size", "0x20000", "--align", "4",
                fx("signed-ed25519-padded.bin")).ok().contains("fits slot 0x20000"));
    }

    @Test
    void aTruncatedImageIsRejectedWithItsReason() throws Exception {
        Path cut = fresh("cut.bin");
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(fixtures.resolve("signed-ed25519.bin")), 0xdc0));
        String line = Cli.run("mcuboot-verify", "--key", fx("fx-ed25519.pem"), cut.toString()).rejected("truncated");
        assertTrue(line.contains("the file ends at 0xdc0"), line);
    }

    @Test
    void refusesBadInputWithOneLineAndLeavesNoFile() throws Exception {
        Path out = fresh("refused.bin");
        // too large: nothing written, no temporary file left
        String line = Cli.run("mcuboot-sign", "--header-size", "0x200", "--version", "1", "--slot-size", "0x800",
                "--pad-header", fx("fw.bin"), out.toString()).usageError();
        assertEquals("updraft: image 0xde0 bytes larger than slot 0x800 minus trailer 0x1b0 (room for 0x650 bytes)",
                line);
        assertFalse(Files.exists(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
        assertTrue(sign("fx-ed25519.pub.pem", out).usageError().contains("holds a public key"));
        assertTrue(sign("missing.pem", out).usageError().contains("does not exist"));
        assertTrue(sign("fx-ecdsa-p256.pem", out, "--pure").usageError().contains("--pure needs an Ed25519 key"));
        assertTrue(sign("fx-ecdsa-p256.pem", out, "--sha", "512").usageError()
                .contains("cannot be used with --sha 512"));
        assertTrue(Cli.run("mcuboot-sign", "--header-size", "0x200", "--version", "1", "--slot-size", "0x20000",
                fx("fw.bin"), out.toString()).usageError().contains("use --pad-header"));
        assertTrue(Cli.run("mcuboot-sign", "--version", "1", "--slot-size", "0x20000", fx("fw.bin"),
                out.toString()).usageError().contains("needs --header-size"));
        assertTrue(Cli.run("mcuboot-sign", "--header-size", "0x1g", "--version", "1", "--slot-size", "0x20000",
                fx("fw.bin"), out.toString()).usageError().contains("not a valid integer"));
        assertTrue(Cli.run("mcuboot-sign", "--header-size", "512", "--version", "1.2.3.4", "--slot-size", "0",
                fx("fw.bin"), out.toString()).usageError().contains("invalid MCUboot version"));
        assertTrue(Cli.run("mcuboot-sign", "--header-size", "512", "--version", "1", "--slot-size", "0",
                "--align", "3", fx("fw.bin"), out.toString()).usageError().contains("--align is one of 1, 2, 4"));
        assertTrue(Cli.run("mcuboot-sign", "--header-size", "512", "--version", "1", "--slot-size", "0",
                "--security-counter", "0x100000000", fx("fw.bin"), out.toString()).usageError()
                .contains("at most 0xffffffff"));
        assertTrue(Cli.run("mcuboot-sign", "--header-size", "512", "--version", "1", "--slot-size", "0",
                fx("fw.bin"), dir.resolve("out.hex").toString()).usageError().contains("Intel HEX"));
        assertTrue(Cli.run("mcuboot-sign", "--header-size", "512", "--version", "1", "--slot-size", "0",
                fx("no-such-fw.bin"), out.toString()).usageError().contains("does not exist"));
        assertFalse(Files.exists(out));

        Path existing = fresh("existing.bin");
        Files.write(existing, new byte[] {1});
        assertTrue(sign(null, existing).usageError().contains("refusing to overwrite"));
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(existing));
        sign(null, existing, "--force").ok();
        assertArrayEquals(Files.readAllBytes(fixtures.resolve("unsigned-hashonly.bin")), Files.readAllBytes(existing));

        assertTrue(Cli.run("mcuboot-verify", "--key", fx("fw.bin"), fx("signed-ed25519.bin")).usageError()
                .contains("not a PEM key file"));
        assertTrue(Cli.run("mcuboot-verify", dir.resolve("nothing.bin").toString()).usageError()
                .contains("does not exist"));
        assertTrue(Cli.run("mcuboot-verify", "--align", "4", fx("signed-ed25519.bin")).usageError()
                .contains("give --slot-size too"));
    }

    @Test
    void helpListsAndDescribesTheCommands() {
        String overview = Cli.run("help").ok();
        assertTrue(overview.contains("mcuboot-sign") && overview.contains("mcuboot-verify"), overview);
        assertTrue(Cli.run("mcuboot-sign", "--help").ok().startsWith("usage: updraft mcuboot-sign"));
        assertTrue(Cli.run("mcuboot-verify", "--help").ok().startsWith("usage: updraft mcuboot-verify"));
    }
}
