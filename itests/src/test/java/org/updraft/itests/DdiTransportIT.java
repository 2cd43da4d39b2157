package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

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
import org.updraft.core.json.JsonReader;

/**
 * The DDI transport in the distribution: feature updraft-transport-ddi installs from system/ with Karaf's
 * http-whiteboard, its servlet is served by Pax Web on the HTTP port at /DEFAULT/controller/v1/*, refuses a request
 * without the device's token and answers the device's base poll; updraft:ddi-device-key and updraft:status work.
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

    @Test
    public void theFeatureServesTheControllerApiOnKarafsHttpPort() throws Exception {
        installFeatures("updraft-transport-ddi");
        try {
            Path etc = Path.of(System.getProperty("karaf.etc"));
            Path tokens = etc.resolve("ddi-tokens.properties");
            Files.writeString(tokens, DEVICE + "=" + TOKEN + "\n");
            Files.setPosixFilePermissions(tokens, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            // as an operator does it: edit the file the feature wrote
            Path cfg = etc.resolve(PID + ".cfg");
            await("the feature's " + cfg, Duration.ofSeconds(30), () -> Files.exists(cfg));
            Files.writeString(cfg, Files.readString(cfg).replaceAll("(?m)^target\\.tokens\\.file\\s*=.*$",
                    "target.tokens.file = ddi-tokens.properties").replaceAll("(?m)^polling\\.sleep\\s*=.*$",
                    "polling.sleep = 00:00:40"));

            String did = executeCommand("updraft:ddi-device-key " + DEVICE).strip();
            assertTrue(did, did.startsWith("did:key:z6Mk"));
            DeviceRegistry registry = waitForService(DeviceRegistry.class);
            if (registry.find(DEVICE).isEmpty()) {
                registry.register(new Device(DEVICE, did, "acme", "camera", null, Set.of(), null, "1.0.0", 1,
                        DeviceState.IDLE, null, Instant.now()));
            }

            Configuration web = configurationAdmin.getConfiguration("org.ops4j.pax.web", null);
            String port = String.valueOf(web.getProperties().get("org.osgi.service.http.port"));
            URI poll = URI.create("http://127.0.0.1:" + port + "/DEFAULT/controller/v1/" + DEVICE);
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
            assertEquals("00:00:40", ((Map<?, ?>) ((Map<?, ?>) body.get("config")).get("polling")).get("sleep"));
            assertTrue(answer[0].headers().firstValue("ETag").isPresent());

            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(poll).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, anonymous.statusCode());
            assertEquals("application/problem+json", anonymous.headers().firstValue("Content-Type").orElse(""));

            String status = executeCommand("updraft:status");
            assertTrue(status, status.contains("ddi: serving /DEFAULT/controller/v1/{controllerId}"));
            assertTrue(status, status.contains("unauthorized 1"));
        } finally {
            uninstallFeatures("updraft-transport-ddi");
        }
    }
}
