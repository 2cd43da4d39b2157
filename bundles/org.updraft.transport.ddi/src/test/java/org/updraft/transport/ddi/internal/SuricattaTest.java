package org.updraft.transport.ddi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.update.DeviceReport;

/**
 * The real client: Debian's SWUpdate in suricatta (hawkBit) mode, dry run, polls the DDI API served by Jetty,
 * downloads the .swu the rollout offers (signed with a certificate the device trusts, made here with openssl and
 * cpio), checks and "installs" it, and reports; the test then finds the report on the ledger and the rollout's
 * wave counting the device as installed. .ci/setup installs swupdate, openssl and cpio.
 */
class SuricattaTest {

    private static final String DEVICE = "cam-suricatta";
    private static final String TOKEN = "suricatta-token-0123";

    @TempDir
    Path dir;

    @Test
    void suricattaInstallsTheRolloutAndItsReportReachesTheLedger() throws Exception {
        Path work = Files.createDirectories(dir.resolve("swu"));
        run(work, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out",
                "cert.pem", "-days", "30", "-subj", "/CN=updraft-ddi-test");
        byte[] rootfs = new byte[200_000];
        new Random(3).nextBytes(rootfs);
        Files.write(work.resolve("rootfs.ext4"), rootfs);
        String sha = HexFormat.of().formatHex(ImageDigests.digest("SHA-256").digest(rootfs));
        Files.writeString(work.resolve("sw-description"), "software =\n{\n  version = \"2.0.9\";\n"
                + "  hardware-compatibility: [ \"1.0\" ];\n  images: (\n    {\n      filename = \"rootfs.ext4\";\n"
                + "      device = \"/dev/null\";\n      type = \"raw\";\n      sha256 = \"" + sha + "\";\n    }\n"
                + "  );\n};\n");
        run(work, "openssl", "cms", "-sign", "-in", "sw-description", "-signer", "cert.pem", "-inkey", "key.pem",
                "-outform", "DER", "-nosmimecap", "-binary", "-out", "sw-description.sig");
        run(work, "sh", "-c", "printf 'sw-description\\nsw-description.sig\\nrootfs.ext4\\n' | cpio -o -H crc > "
                + "update.swu");
        byte[] swu = Files.readAllBytes(work.resolve("update.swu"));

        try (DdiTestPlatform platform = new DdiTestPlatform(dir.resolve("platform"), Map.of(DEVICE, TOKEN), null,
                Map.of("polling.sleep", "00:00:02"))) {
            Release release = platform.publish(swu, 9);
            platform.register(DEVICE, platform.transport.deviceKey(DEVICE));
            Rollout rollout = platform.rollout(release);
            long before = platform.ledger.size();

            // first run: polls, downloads, checks and installs (dry run), reports while it installs; without a
            // bootloader it cannot keep its state across the "reboot" and would install again: stopped once done
            Path install = Files.writeString(dir.resolve("suricatta-install.log"), "");
            // Debian's swupdate now and then exits by itself (see core's Swupdate): up to three runs
            for (int run = 0; run < 3 && !Files.readString(install, StandardCharsets.ISO_8859_1).contains(
                    "Update successful"); run++) {
                runUntil(suricatta(platform, work, install), () -> Files.readString(install,
                        StandardCharsets.ISO_8859_1).contains("Update successful"));
            }
            // after the reboot: suricatta confirms the update it installed (-c 2: the state a bootloader would keep)
            Path confirm = dir.resolve("suricatta-confirm.log");
            DeviceReport[] installed = new DeviceReport[1];
            runUntil(suricatta(platform, work, confirm, "-c", "2"), () -> {
                installed[0] = report(platform, before, DeviceState.INSTALLED);
                return installed[0] != null;
            });
            String output = Files.readString(install, StandardCharsets.ISO_8859_1);
            String confirmed = Files.readString(confirm, StandardCharsets.ISO_8859_1);
            assertTrue(report(platform, before, DeviceState.DOWNLOADING) != null,
                    "no report while installing; suricatta said:\n" + output);
            assertTrue(installed[0] != null, "no installed report on the ledger; suricatta said:\n" + confirmed);
            assertEquals(release.id(), installed[0].releaseId());
            assertEquals(rollout.id(), installed[0].rolloutId());
            assertTrue(installed[0].reason().startsWith("(ddi TargetToken sha256:"), installed[0].reason());
            assertTrue(output.contains("SWUPDATE successful"), output);
            assertEquals(1, platform.rollouts.progress(rollout.id()).waves().get(0).installed());
            assertEquals(9, platform.registry.find(DEVICE).orElseThrow().installedSequence());
            // what suricatta did, for whoever reads the test's output
            (output + confirmed).lines().filter(l -> !l.contains("lua_report_exception")
                    && !l.contains("print_registered") && !l.contains("Iterating over JSON"))
                    .forEach(System.out::println);
        }
    }

    private static Process suricatta(DdiTestPlatform platform, Path work, Path log, String... more)
            throws Exception {
        String options = "-t DEFAULT -u http://127.0.0.1:" + platform.port + " -i " + DEVICE + " -k " + TOKEN + " -p 2"
                + (more.length == 0 ? "" : " " + String.join(" ", more));
        Path dir = log.getParent();
        ProcessBuilder builder = new ProcessBuilder("swupdate", "-v", "-n", "-k", work.resolve("cert.pem").toString(),
                "-H", "test:1.0", "-u", options).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // swupdate keeps its IPC sockets and scratch files in TMPDIR: this run's own, relative to the working
        // directory, as a socket's path is limited to 107 bytes and target/ may be deep
        builder.environment().put("TMPDIR", dir.relativize(Files.createTempDirectory(dir, "s")).toString());
        return builder.start();
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits up to two minutes for the condition, then stops the process (and its suricatta child). */
    private static void runUntil(Process process, Condition done) throws Exception {
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!done.holds() && System.nanoTime() < deadline && process.isAlive()) {
                Thread.sleep(300);
            }
        } finally {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    private static DeviceReport report(DdiTestPlatform platform, long from, DeviceState state) throws Exception {
        for (LedgerEntry e : platform.ledger.read(from, 100)) {
            if (e.event().type().equals(EventTypes.DEVICE_REPORTED)) {
                DeviceReport r = DeviceEvents.decodeReported(e.event().payload()).report();
                if (r.state() == state) {
                    return r;
                }
            }
        }
        return null;
    }

    private static void run(Path in, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    }
}
