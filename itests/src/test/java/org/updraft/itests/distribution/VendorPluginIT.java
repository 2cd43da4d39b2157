package org.updraft.itests.distribution;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * A plugin a device vendor writes, built as the vendor builds it and installed as an operator installs it
 * (docs/plugins.md): examples/mirror-store, a firmware store outside this reactor, is built on its own with the
 * repository's Maven wrapper, offline, against the Updraft artifacts of this build, and its own Pax Exam test
 * runs. Its KAR goes into a running distribution that reaches no Maven repository (none configured, an empty
 * user.home) with {@code kar:install}; with {@code preferred = mirror} a release signed with bin/updraft and
 * published through the shell lands in the plugin's directory, named by the CID its manifest names, and a CoAP
 * client downloads it through the platform from that store, the only one holding it.
 *
 * <p>The example resolves org.updraft 0.1.0-SNAPSHOT from the local Maven repository of this build, where nothing
 * is installed by {@code verify}: itests/pom.xml installs this build's parent pom, API, library and distribution
 * archive there before the integration tests, and this test first checks the repository holds exactly those files,
 * so that it never builds against an earlier build's.
 */
public class VendorPluginIT {

    private static final String EXAMPLE = "examples/mirror-store";
    private static final String KAR = "com.acme.updraft.storage.mirror-1.0.0.kar";
    private static final String MIRROR_PID = "com.acme.updraft.storage.mirror";
    /** The example's build starts Maven and, for its own test, the distribution in Pax Exam. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
    private static final Pattern PORT = Pattern.compile("(?m)^\\s*port\\s*=\\s*(\\d+)\\s*$");
    private static final String RELEASE = "acme/thermo-v3/1";

    private static KarafProcess karaf;

    @BeforeClass
    public static void unpack() throws Exception {
        karaf = KarafProcess.unpack("vendor-plugin");
        // the download below is libcoap's client without DTLS: unencrypted CoAP must be switched on
        karaf.setProperty("etc/org.updraft.transport.coap.cfg", "plain.enabled", "true");
    }

    @AfterClass
    public static void cleanUp() throws Exception {
        if (karaf != null) {
            karaf.close();
        }
    }

    @Test
    public void aVendorsStoreBuiltOnItsOwnReceivesAPublishedReleaseAndServesItToDevices() throws Exception {
        Path repository = Path.of(required("updraft.repository")).toRealPath();
        Path localRepository = Path.of(required("maven.repo.local"));
        assertLocalRepositoryHoldsThisBuild(repository, localRepository);
        Path kar = buildExample(repository, localRepository);

        // No Maven repository behind the distribution: KarafProcess empties the configured ones; user.home is an
        // empty directory, so no ~/.m2 (settings, repository) to fall back on either.
        Path emptyHome = Files.createDirectories(karaf.home().resolve("empty-user-home"));
        Files.writeString(karaf.home().resolve("bin/setenv"), "\nEXTRA_JAVA_OPTS=\"${EXTRA_JAVA_OPTS} -Duser.home="
                + emptyHome + "\"\nexport EXTRA_JAVA_OPTS\n", StandardOpenOption.APPEND);
        karaf.start();
        assertEquals(emptyHome.toString(), karaf.execute("system:property user.home").strip());

        // the operator installs the plugin and makes it the store that receives and serves releases
        karaf.awaitCommand("kar:install", Duration.ofSeconds(30));
        karaf.execute("kar:install " + kar.toUri());
        String features = karaf.execute("feature:list -i");
        assertTrue("kar:install installed and started the plugin's feature:\n" + features, Pattern.compile(
                "(?m)^updraft-storage-mirror\\s*\\|\\s*1\\.0\\.0\\s*\\|[^|\\n]*\\|\\s*Started\\s*\\|").matcher(features).find());
        Path mirror = karaf.home().resolve("mirror");
        karaf.execute("config:property-set -p " + MIRROR_PID + " directory " + mirror);
        karaf.execute("config:property-set -p org.updraft.store preferred mirror");
        karaf.awaitCommand("updraft:store-stat", Duration.ofSeconds(30));
        String chosen = awaitStoreStat(out -> section(out, "mirror").contains("up, preferred")
                && section(out, "mirror").contains(mirror.toString()));

        // the manufacturer signs a release offline with the distribution's tool
        Path work = Files.createDirectories(karaf.home().resolve("manufacturer"));
        Path key = work.resolve("acme.key");
        Path image = work.resolve("thermo-3.0.0.bin");
        byte[] bytes = new byte[900_000];
        new Random(311).nextBytes(bytes);
        Files.write(image, bytes);
        ok(karaf.run("bin/updraft", "keygen", "--out", key.toString()));
        Path manifest = work.resolve("thermo-3.0.0.manifest");
        ok(karaf.run("bin/updraft", "sign", "--key", key.toString(), "--firmware", image.toString(), "--vendor",
                "acme", "--class", "thermo-v3", "--version", "3.0.0", "--sequence", "1", "--out", manifest.toString()));
        String cid = ok(karaf.run("bin/updraft", "cid", image.toString())).strip();

        // ... and the operator publishes it: it lands in the plugin's directory
        karaf.execute("updraft:trust-add --vendor acme " + key + ".pub");
        String published = karaf.execute("updraft:release-publish -q " + manifest + " " + image);
        assertTrue(published, published.contains("Published " + RELEASE) && published.contains(cid));
        assertArrayEquals("the mirror directory holds the image under the CID the release names",
                bytes, Files.readAllBytes(mirror.resolve(cid)));
        String stat = karaf.execute("updraft:store-stat " + cid);
        assertTrue(stat, section(stat, "mirror").matches("(?s).*" + cid + " [^\\n]*, pinned.*"));
        assertTrue("the local store, the fallback, does not hold it:\n" + stat,
                section(stat, "local").contains(cid + " not in this store"));
        assertTrue(stat, stat.contains("Releases: all 1 can be served"));

        // a device downloads it block-wise through the platform's CoAP API, from the only store holding it
        Path downloaded = work.resolve("downloaded.bin");
        Process client = new ProcessBuilder(coapClient(), "-b", "1024", "-m", "get", "-o", downloaded.toString(),
                "coap://127.0.0.1:" + coapPort() + "/fw/" + cid).redirectErrorStream(true).start();
        String clientOutput = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("coap-client-notls did not finish", client.waitFor(60, TimeUnit.SECONDS));
        assertEquals(clientOutput, 0, client.exitValue());
        assertArrayEquals("coap-client-notls got the image; store choice before the publish:\n" + chosen,
                bytes, Files.readAllBytes(downloaded));
        karaf.stop();
    }

    /**
     * The local repository's org.updraft artifacts are this build's, byte for byte: the API, the library, the
     * distribution archive (as copied by the itests pom) and the poms the example's resolution reads.
     */
    private static void assertLocalRepositoryHoldsThisBuild(Path repository, Path localRepository)
            throws IOException {
        String version = required("updraft.version");
        Path built = Path.of(required("updraft.vendor.artifacts"));
        Path group = localRepository.resolve("org/updraft");
        List<Path[]> pairs = List.of(
                pair(built.resolve("org.updraft.api-" + version + ".jar"), group, "org.updraft.api", version, ".jar"),
                pair(built.resolve("org.updraft.core-" + version + ".jar"), group, "org.updraft.core", version, ".jar"),
                pair(built.resolve("updraft-karaf-" + version + ".tar.gz"), group, "updraft-karaf", version, ".tar.gz"),
                pair(repository.resolve("pom.xml"), group, "updraft-parent", version, ".pom"),
                pair(repository.resolve("bundles/org.updraft.api/pom.xml"), group, "org.updraft.api", version, ".pom"),
                pair(repository.resolve("bundles/org.updraft.core/pom.xml"), group, "org.updraft.core", version, ".pom"));
        for (Path[] pair : pairs) {
            boolean same = Files.isRegularFile(pair[0]) && Files.isRegularFile(pair[1])
                    && Arrays.equals(sha256(pair[0]), sha256(pair[1]));
            assertTrue(pair[1] + " is not " + pair[0] + " of this build: itests/pom.xml installs it before the "
                    + "integration tests (run them through Maven, ./mvnw verify)", same);
        }
    }

    private static Path[] pair(Path thisBuild, Path group, String artifactId, String version, String extension) {
        return new Path[] {thisBuild, group.resolve(artifactId).resolve(version).resolve(artifactId + "-" + version
                + extension)};
    }

    /**
     * Builds the example as its vendor would: its own pom, the repository's Maven wrapper, offline (everything it
     * needs is in the local repository once this build has run), its target/ removed first.
     */
    private static Path buildExample(Path repository, Path localRepository) throws Exception {
        Path example = repository.resolve(EXAMPLE);
        deleteTree(example.resolve("target"));
        Path log = Files.createDirectories(Path.of("target", "vendor-plugin")).resolve("example-build.log")
                .toAbsolutePath();
        List<String> command = List.of(repository.resolve("mvnw").toString(), "-B", "-o",
                "-f", example.resolve("pom.xml").toString(),
                "-Dmaven.repo.local=" + localRepository,
                "-Dupdraft.version=" + required("updraft.version"),
                "verify");
        long begin = System.nanoTime();
        Process build = new ProcessBuilder(command).directory(repository.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            if (!build.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                build.descendants().forEach(ProcessHandle::destroyForcibly);
                build.destroyForcibly();
                throw new AssertionError("the example's build did not finish within " + BUILD_TIMEOUT + "; " + log
                        + " ends:\n" + tail(log));
            }
        } finally {
            killPaxExamKarafs(example);
        }
        assertEquals(String.join(" ", command) + " failed; from " + log + ":\n" + errors(log), 0, build.exitValue());
        System.out.println("[VendorPluginIT] example built and tested in " + (System.nanoTime() - begin) / 1_000_000
                + " ms");
        Path kar = example.resolve("target").resolve(KAR);
        assertTrue("the example's build made " + kar, Files.isRegularFile(kar));
        String summary = Files.readString(log);
        assertTrue("the example's Pax Exam test ran:\n" + tail(log),
                summary.contains("Tests run: 5, Failures: 0, Errors: 0, Skipped: 0"));
        return kar;
    }

    /**
     * Ends the Karaf JVMs the example's Pax Exam test started, if any is left: when Pax Exam gives up on a container
     * that boots too slowly, it leaves the container's JVM running, no longer a child of the build.
     */
    private static void killPaxExamKarafs(Path example) {
        String marker = "-Dkaraf.home=" + example.resolve("target/exam");
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(line -> line.contains(marker)).orElse(false))
                .forEach(p -> {
                    System.out.println("[VendorPluginIT] ending Karaf " + p.pid() + " left by the example's test");
                    p.destroyForcibly();
                });
    }

    /** store-stat's output once {@code done} accepts it (configuration applies a moment later); a minute at most. */
    private static String awaitStoreStat(Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        String out = "";
        while (System.nanoTime() < deadline) {
            out = karaf.execute("updraft:store-stat");
            if (done.test(out)) {
                return out;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("store-stat did not show the expected choice within a minute:\n" + out
                + "\nlog:\n" + karaf.logTail());
    }

    /** The lines store-stat prints about one store backend, from "Store KIND:" to the next "Store " or "Serving:". */
    private static String section(String storeStat, String kind) {
        Matcher m = Pattern.compile("(?s)Store " + kind + ":.*?(?=\\nStore |\\nServing:|$)").matcher(storeStat);
        return m.find() ? m.group() : "";
    }

    private int coapPort() throws IOException {
        Matcher m = PORT.matcher(Files.readString(karaf.home().resolve("etc/org.updraft.transport.coap.cfg")));
        assertTrue("the copy's CoAP port", m.find());
        return Integer.parseInt(m.group(1));
    }

    private static String coapClient() {
        Path binary = Path.of("/usr/bin/coap-client-notls");
        if (!Files.isExecutable(binary)) {
            throw new AssertionError(binary + " is missing: run .ci/setup (it installs Debian's libcoap3-bin)");
        }
        return binary.toString();
    }

    private static String ok(KarafProcess.Result result) {
        assertEquals(result.output(), 0, result.exitCode());
        return result.output();
    }

    private static byte[] sha256(Path file) throws IOException {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What Maven reported as errors and test results, without stack traces. */
    private static String errors(Path log) {
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return String.join("\n", lines.filter(l -> l.startsWith("[ERROR]") || l.contains("Tests run:"))
                    .limit(60).toList());
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static String required(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.startsWith("${")) {
            throw new IllegalStateException("system property " + name
                    + " is not set: run the integration tests through Maven (./mvnw verify)");
        }
        return value;
    }
}
