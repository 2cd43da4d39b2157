package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.core.swu.SwuVerifier;
import org.updraft.core.swu.SwuWriter;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.store.CidOptions;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.json.JsonReader;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.update.DeviceReport;

/**
 * The DDI transport in the distribution: feature updraft-transport-ddi installs from system/ with Karaf's
 * http-whiteboard, its servlet is served by Pax Web on the HTTP port at /DEFAULT/controller/v1/*, refuses a request
 * without the device's token and answers the device's base poll; updraft:ddi-device-key and updraft:status work.
 * Then the real client: Debian's SWUpdate in suricatta mode (dry run) polls Karaf, downloads a .swu published through
 * the shell and rolled out, installs it and confirms it; its reports are on the ledger and the wave counts it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DdiTransportIT extends UpdraftTestSupport {

    private static final String PID = "org.updraft.transport.ddi";
    private static final String DEVICE = "ddi-it-1";
    private static final String TOKEN = "ddi-it-token-7f3a";

    @Override
    protected Option[] additionalOptions() {
        // a random port: several containers may run on this machine at once; on 127.0.0.1 only
        return new Option[] {
            editConfigurationFilePut("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port",
                    Integer.toString(freePort())),
            editConfigurationFilePut("etc/org.ops4j.pax.web.cfg", "org.ops4j.pax.web.listening.addresses",
                    "127.0.0.1"),
        };
    }

    /** Installs the feature, gives {@code device} a token, registers it with its DDI key; the controller API URL. */
    private String serve(String device, String token) throws Exception {
        installFeatures("updraft-transport-ddi");
        Path etc = Path.of(System.getProperty("karaf.etc"));
        Path tokens = etc.resolve("ddi-tokens.properties");
        Files.writeString(tokens, device + "=" + token + "\n");
        Files.setPosixFilePermissions(tokens, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        // as an operator does it: edit the file the feature wrote
        editConfigFile(PID, Map.of("target.tokens.file", "ddi-tokens.properties", "polling.sleep", "00:00:02"));
        String did = executeCommand("updraft:ddi-device-key " + device).strip();
        assertTrue(did, did.startsWith("did:key:z6Mk"));
        DeviceRegistry registry = waitForService(DeviceRegistry.class);
        if (registry.find(device).isEmpty()) {
            registry.register(new Device(device, did, "acme", "camera", null, Set.of(), null, "1.0.0", 1,
                    DeviceState.IDLE, null, Instant.now()));
        }
        Configuration web = configurationAdmin.getConfiguration("org.ops4j.pax.web", null);
        String base = "http://127.0.0.1:" + web.getProperties().get("org.osgi.service.http.port");
        URI poll = URI.create(base + "/DEFAULT/controller/v1/" + device);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        // Pax Web takes the servlet, and the transport its new configuration, a moment after the edit
        await("the base poll of " + poll + " with the device's token", Duration.ofSeconds(60), () -> {
            try {
                return http.send(HttpRequest.newBuilder(poll).header("Authorization", "TargetToken " + token).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        }, this::componentReport);
        return base;
    }

    @Test
    public void theFeatureServesTheControllerApiOnKarafsHttpPort() throws Exception {
        String base = serve(DEVICE, TOKEN);
        try {
            URI poll = URI.create(base + "/DEFAULT/controller/v1/" + DEVICE);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String>[] answer = new HttpResponse[1];
            // Pax Web takes the servlet a moment after the configuration is applied
            await("the base poll of " + poll + " with the device's token", Duration.ofSeconds(60), () -> {
                try {
                    answer[0] = http.send(HttpRequest.newBuilder(poll).header("Authorization", "TargetToken " + TOKEN)
                            .build(), HttpResponse.BodyHandlers.ofString());
                    return answer[0].statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            }, () -> componentReport() + "\nlast answer: " + (answer[0] == null ? "none"
                    : answer[0].statusCode() + " " + answer[0].body()));
            Map<String, Object> body = JsonReader.object(JsonReader.parse(answer[0].body()), "base poll");
            assertEquals("00:00:02", ((Map<?, ?>) ((Map<?, ?>) body.get("config")).get("polling")).get("sleep"));
            assertTrue(answer[0].headers().firstValue("ETag").isPresent());

            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(poll).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, anonymous.statusCode());
            assertEquals("application/problem+json", anonymous.headers().firstValue("Content-Type").orElse(""));

            String status = executeCommand("updraft:status");
            assertTrue(status, status.contains("ddi: serving /DEFAULT/controller/v1/{controllerId}"));
            // the anonymous request, counted by kind (polls before the edited token file was read again may add
            // bad-target-token refusals)
            assertTrue(status, status.contains("no-token 1"));
        } finally {
            uninstallFeatures("updraft-transport-ddi");
        }
    }

    @Test
    public void suricattaInstallsAReleaseRolledOutThroughKarafsDdi() throws Exception {
        String device = "ddi-it-suricatta";
        String token = "ddi-it-suricatta-token";
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("karaf.data")), "ddi-it");
        String base = serve(device, token);
        try {
            // the vendor's .swu (certificate made by openssl) and its signed manifest, published through the shell
            run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "swu-key.pem", "-out",
                    "swu-cert.pem", "-days", "30", "-subj", "/CN=camera-updates");
            byte[] rootfs = new byte[0x8000];
            new Random(11).nextBytes(rootfs);
            Path image = Files.write(Files.createDirectories(dir.resolve("img")).resolve("rootfs.ext4"), rootfs);
            byte[] text = SwuWriter.complete("software = { version = \"2.0.0\"; hardware-compatibility = [\"1.0\"]; "
                    + "images: ( { filename = \"rootfs.ext4\"; device = \"/dev/null\"; type = \"raw\"; sha256 = "
                    + "\"$swupdate_get_sha256(rootfs.ext4)\"; } ); };", List.of(image));
            byte[] signature = SwuWriter.sign(text, SwuWriter.readPrivateKey(dir.resolve("swu-key.pem")),
                    SwuVerifier.readCertificates(dir.resolve("swu-cert.pem")).get(0));
            Path swu = dir.resolve("camera-2.0.0.swu");
            try (OutputStream out = Files.newOutputStream(swu)) {
                SwuWriter.write(out, text, signature, List.of(image));
            }
            SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
            executeCommand("updraft:trust-add --vendor acme " + vendor.did());
            MeasuredImage measured = MeasuredImage.of(swu, List.of(CidOptions.DEFAULT));
            Manifest manifest = new Manifest("acme", "camera", null, "2.0.0", 2, measured.size(), measured.sha256(),
                    measured.cid(CidOptions.DEFAULT), null, Instant.now(), vendor.did());
            Path signed = Files.write(dir.resolve("camera-2.0.0.manifest"), ManifestCodec.sign(manifest, vendor));
            String published = executeCommand("updraft:release-publish -q " + signed + " " + swu);
            assertTrue(published, published.contains("Published acme/camera/2"));
            RolloutService rollouts = waitForService(RolloutService.class);
            Rollout rollout = rollouts.start(rollouts.create(new RolloutSpec("acme/camera/2",
                    DeviceFilter.ALL, List.of(new WaveSpec("all",
                            new WaveSelector.Devices(List.of(device)), 100, 100, false, null, 0))), "ddi-it").id(),
                    "ddi-it");
            long before = waitForService(org.updraft.api.ledger.Ledger.class).size();

            String server = "-t DEFAULT -u " + base + " -i " + device + " -k " + token + " -p 2";
            Path install = Files.writeString(dir.resolve("suricatta-install.log"), "");
            // Debian's swupdate now and then exits by itself (see core's Swupdate): up to three runs
            for (int run = 0; run < 3 && !Files.readString(install, java.nio.charset.StandardCharsets.ISO_8859_1)
                    .contains("Update successful"); run++) {
                runUntil(suricatta(dir, server, install), () -> Files.readString(install,
                        java.nio.charset.StandardCharsets.ISO_8859_1).contains("Update successful"));
            }
            // after the "reboot" (no bootloader keeps the state here): suricatta confirms what it installed
            Path confirm = dir.resolve("suricatta-confirm.log");
            runUntil(suricatta(dir, server + " -c 2", confirm), () -> reported(device, before,
                    DeviceState.INSTALLED) != null);
            String said = Files.readString(install, java.nio.charset.StandardCharsets.ISO_8859_1)
                    + Files.readString(confirm, java.nio.charset.StandardCharsets.ISO_8859_1);
            DeviceReport installed = reported(device, before, DeviceState.INSTALLED);
            assertTrue("no installed report; suricatta said:\n" + said, installed != null);
            assertEquals(rollout.id(), installed.rolloutId());
            assertTrue(installed.reason(), installed.reason().startsWith("(ddi TargetToken sha256:"));
            assertTrue(said, said.contains("SWUPDATE successful"));
            assertEquals(1, rollouts.progress(rollout.id()).waves().get(0).installed());
            assertEquals(2, waitForService(DeviceRegistry.class).find(device).orElseThrow().installedSequence());
        } finally {
            uninstallFeatures("updraft-transport-ddi");
        }
    }

    private DeviceReport reported(String device, long from, DeviceState state) throws Exception {
        for (LedgerEntry e : ledgerEvents(EventTypes.DEVICE_REPORTED)) {
            DeviceReport r = DeviceEvents.decodeReported(e.event().payload()).report();
            if (e.index() >= from && r.deviceId().equals(device) && r.state() == state) {
                return r;
            }
        }
        return null;
    }

    private static Process suricatta(Path dir, String server, Path log) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("swupdate", "-v", "-n", "-k", dir.resolve("swu-cert.pem")
                .toString(), "-H", "camera:1.0", "-u", server).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // swupdate keeps its IPC sockets and scratch files in TMPDIR: this run's own, relative to the working
        // directory, as a socket's path is limited to 107 bytes and the container's data folder is deep
        builder.environment().put("TMPDIR", dir.relativize(Files.createTempDirectory(dir, "s")).toString());
        return builder.start();
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits up to two minutes for the condition, then stops swupdate and its suricatta. */
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

    private static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(String.join(" ", command) + " did not finish", p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(String.join(" ", command) + ":\n" + out, 0, p.exitValue());
    }
}
