package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad usage or input ends with exit status 2 and one line on stderr that names the problem: no
 * stack trace, no exception class, nothing on stdout, and no file left half written.
 */
class BadInputTest {

    @TempDir
    static Path dir;

    private static final String SECRET = "s3cret passphrase";

    @BeforeAll
    static void fixtures() throws Exception {
        Cli.run("keygen", "--out", dir.resolve("k.pem").toString()).ok();
        Files.writeString(dir.resolve("pass"), SECRET + "\n");
        Files.writeString(dir.resolve("wrong-pass"), "not it\n");
        Cli.run("keygen", "--out", dir.resolve("enc.pem").toString(), "--passphrase-file",
                dir.resolve("pass").toString()).ok();
        SeededFile.write(dir.resolve("fw.bin"), 9, 10_000);
        Cli.run("sign", "--key", dir.resolve("k.pem").toString(), "--firmware", dir.resolve("fw.bin").toString(),
                "--vendor", "acme", "--class", "thermo-v2", "--version", "1.0.0", "--sequence", "1", "--out",
                dir.resolve("m.cbor").toString()).ok();
        byte[] manifest = Files.readAllBytes(dir.resolve("m.cbor"));
        Files.write(dir.resolve("truncated.cbor"), Arrays.copyOf(manifest, manifest.length / 2));
        Files.write(dir.resolve("random.cbor"), Files.readAllBytes(dir.resolve("fw.bin")));
        Files.write(dir.resolve("empty"), new byte[0]);
        Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("text.pem"), "hello, I am not a key\n");
        Files.createDirectories(dir.resolve("a-directory"));
    }

    /** Each case: words the message must contain, and the command line ({@code @} is the fixture directory). */
    static Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        String signOk = "sign --key @/k.pem --firmware @/fw.bin --vendor acme --class thermo-v2 --version 1.0.0 "
                + "--sequence 2 --out @/new.cbor";
        String verifyOk = "verify --manifest @/m.cbor --firmware @/fw.bin --trust @/k.pem.pub";
        return Stream.of(
                // usage
                c("unknown command 'frobnicate'", "frobnicate"),
                c("unknown option '--bogus'", signOk + " --bogus 1"),
                c("unknown option '-x'", "cid -x @/fw.bin"),
                c("needs --sequence", signOk.replace("--sequence 2 ", "")),
                c("needs --key", signOk.replace("--key @/k.pem ", "")),
                c("--out needs a value", "keygen --out"),
                c("--out needs a value", "keygen --out --alg p256"),
                c("more than once", signOk + " --vendor acme"),
                c("takes no arguments", signOk + " extra"),
                c("needs at least one --trust", "verify --manifest @/m.cbor --firmware @/fw.bin"),
                c("--force is true or false", signOk + " --force=maybe"),
                // values
                c("not a semantic version", signOk.replace("--version 1.0.0", "--version 1.4")),
                c("not a semantic version", signOk + " --min-version v1"),
                c("--sequence must be a non-negative integer", signOk.replace("--sequence 2", "--sequence -1")),
                c("--sequence must be a non-negative integer", signOk.replace("--sequence 2", "--sequence two")),
                c("vendor id", signOk.replace("--vendor acme", "--vendor ac/me")),
                c("unknown key algorithm", "keygen --out @/x.pem --alg rsa"),
                c("--cid-version is 0 or 1", signOk + " --cid-version 2"),
                c("--installed-sequence must be", verifyOk + " --installed-sequence x"),
                c("not a semantic version", verifyOk + " --installed-version latest"),
                // files
                c("does not exist", signOk.replace("@/fw.bin", "@/missing.bin")),
                c("not a regular file", signOk.replace("@/fw.bin", "@/a-directory")),
                c("does not exist", signOk.replace("@/k.pem", "@/missing.pem")),
                c("directory", signOk.replace("@/new.cbor", "@/no/such/dir/new.cbor")),
                c("already exists", signOk.replace("@/new.cbor", "@/m.cbor")),
                c("does not exist", "keygen --out @/k2.pem --passphrase-file @/missing-pass"),
                c("empty", "keygen --out @/k3.pem --passphrase-file @/empty"),
                // keys
                c("corrupt", signOk.replace("@/k.pem", "@/garbage.pem")),
                c("not a PEM", signOk.replace("@/k.pem", "@/text.pem")),
                c("public key", signOk.replace("@/k.pem", "@/k.pem.pub")),
                c("wrong passphrase", signOk.replace("@/k.pem", "@/enc.pem") + " --passphrase-file @/wrong-pass"),
                c("encrypted", signOk.replace("@/k.pem", "@/enc.pem")),
                c("invalid did:key", verifyOk + " --trust did:key:zNotAKey"),
                c("neither a did:key nor", verifyOk.replace("@/k.pem.pub", "@/nope.pub")),
                c("not a PUBLIC KEY", verifyOk.replace("@/k.pem.pub", "@/k.pem")),
                c("invalid did:key", "rotate-proof --key @/k.pem --successor did:key:z123"),
                // manifests
                c("is not valid", verifyOk.replace("@/m.cbor", "@/truncated.cbor")),
                c("is not valid", verifyOk.replace("@/m.cbor", "@/random.cbor")),
                c("is not valid", verifyOk.replace("@/m.cbor", "@/empty")),
                c("does not exist", verifyOk.replace("@/m.cbor", "@/missing.cbor")),
                c("is not valid", "inspect @/random.cbor"),
                c("does not exist", "inspect @/missing.cbor"),
                c("needs a MANIFEST", "inspect"),
                // cid
                c("needs a FILE", "cid"),
                c("unexpected argument", "cid @/fw.bin @/fw.bin"),
                c("--cid-version is 0 or 1", "cid --cid-version 3 @/fw.bin"),
                c("--raw-leaves needs --cid-version 1", "cid --raw-leaves @/fw.bin"),
                c("only fixed-size chunking", "cid --chunker rabin @/fw.bin"),
                c("chunk size must be between", "cid --chunker size-0 @/fw.bin"),
                c("chunk size must be between", "cid --chunker size-1048577 @/fw.bin"),
                c("needs a chunk size", "cid --chunker size-big @/fw.bin"),
                c("does not exist", "cid @/missing.bin"));
    }

    private static org.junit.jupiter.params.provider.Arguments c(String expected, String commandLine) {
        return org.junit.jupiter.params.provider.Arguments.of(expected, commandLine);
    }

    @ParameterizedTest(name = "{index}: \"{0}\" from: updraft {1}")
    @MethodSource("cases")
    void exitsWith2AndOneLine(String expected, String commandLine) throws Exception {
        String[] args = commandLine.isEmpty() ? new String[0]
                : Arrays.stream(commandLine.split(" ")).map(w -> w.replace("@", dir.toString())).toArray(String[]::new);
        String line = Cli.run(args).usageError();
        assertTrue(line.contains(expected), () -> "expected '" + expected + "' in: " + line);
        assertFalse(line.contains(SECRET), line);
        assertFalse(Files.exists(dir.resolve("new.cbor")), "no manifest written");
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }

    @Test
    void noArgumentsPrintsTheOverviewOnStderrWithStatus2() {
        Cli.Result r = Cli.run();
        assertEquals(UpdraftCli.EXIT_USAGE, r.status());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("usage: updraft <command>"), r.err());
    }

    @Test
    void helpGoesToStdoutWithStatus0() {
        String overview = Cli.run("help").ok();
        for (String command : new String[] {"keygen", "sign", "verify", "cid", "inspect", "rotate-proof", "lorawan-fragments",
                "lorawan-keys"}) {
            assertTrue(overview.contains("  " + command + " "), overview);
            String usage = Cli.run(command, "--help").ok();
            assertTrue(usage.startsWith("usage: updraft " + command + " "), usage);
            assertEquals(usage, Cli.run("help", command).ok());
            assertEquals(usage, Cli.run(command, "-h", "--bogus").ok(), "help wins over other words");
        }
    }

    @Test
    void debugAddsTheStackTrace() {
        Cli.Result r = Cli.run("inspect", "--debug", dir.resolve("random.cbor").toString());
        assertEquals(UpdraftCli.EXIT_USAGE, r.status());
        assertTrue(r.err().startsWith("updraft: manifest "), r.err());
        assertTrue(r.err().contains("at org.updraft."), r.err());
    }
}
