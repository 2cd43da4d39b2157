package org.updraft.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.rest.internal.DeviceListingServer;
import org.updraft.shell.internal.DeviceListPages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Row 16b (issue 16), as information: the whole fleet of {@value #DEVICES} devices listed through the REST API, page
 * after page of {@value #PAGE} with the cursor each page names (HTTP on 127.0.0.1, JSON read), against the shell's
 * {@code device-list} paging through the same registry with {@code --after} (its table printed to a buffer). Both
 * read one registry in memory (row 5's), so that what differs is what each adds: HTTP and JSON, or the table.
 */
final class RestDeviceListRow {

    static final int DEVICES = 10_000;
    static final int PAGE = 1000;

    private RestDeviceListRow() {
    }

    static Row run(Path work, boolean quick) throws Exception {
        int devices = quick ? 1000 : DEVICES;
        int page = quick ? 100 : PAGE;
        Path dir = Files.createTempDirectory(work, "rest-list");
        FleetServer.FleetRegistry registry = new FleetServer.FleetRegistry();
        try (DeviceListingServer api = new DeviceListingServer(registry, dir, page)) {
            List<Device> fleet = new ArrayList<>();
            Instant now = Instant.now();
            String key = SigningKey.generate(KeyAlgorithm.ED25519).did();
            for (int i = 0; i < devices; i++) {
                fleet.add(new Device(String.format("dev-%05d", i), key, "acme", "camera", null, Set.of(), "eu-" + i % 4,
                        "1.0.0", 1, DeviceState.IDLE, null, now));
            }
            registry.registerAll(fleet);
            HttpClient http = HttpClient.newHttpClient();
            ObjectMapper json = new ObjectMapper();
            double seconds = quick ? 0.3 : 3;
            double[] rates = Rates.interleaved(() -> {
                int listed = 0;
                String cursor = null;
                do {
                    URI uri = URI.create(api.base() + "/devices?limit=" + page
                            + (cursor == null ? "" : "&cursor=" + cursor));
                    HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(uri)
                            .header("Authorization", "Bearer " + api.token()).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    if (answer.statusCode() != 200) {
                        throw new IllegalStateException("row 16b: GET " + uri + " answered " + answer.statusCode());
                    }
                    JsonNode body = json.readTree(answer.body());
                    listed += body.get("devices").size();
                    cursor = body.get("next").isNull() ? null : body.get("next").asText();
                } while (cursor != null);
                if (listed != devices) {
                    throw new IllegalStateException("row 16b: the API listed " + listed + " of " + devices);
                }
                return listed;
            }, () -> {
                if (DeviceListPages.listAll(registry, page) < devices * 10L) {
                    throw new IllegalStateException("row 16b: device-list printed too little for " + devices);
                }
                return devices;
            }, quick ? 1 : 5, seconds);
            return new Row("16b", String.format("REST device list, %,d devices in pages of %,d (information)", devices,
                    page), rates[0], "devices/s", "the shell's device-list, same pages and registry", rates[1],
                    "devices/s", Double.NaN, "—", false, "both read one registry in memory a page at a time; the API adds"
                            + " HTTP and JSON, the shell a table and a count of the fleet per page");
        }
    }
}
