package org.updraft.demo.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.testing.Mosquitto;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet;

/**
 * The multicast demo serves the simulated ChirpStack's REST API where the transport's {@code api.uri} points: the
 * simulated fleet listens on the loopback address and port it is given, accepts the token it is given only, and a
 * port already taken fails its start, naming the port.
 */
class SimulatedApiAddressTest {

    private static final String TOKEN = "sim-api-token-91";

    @TempDir
    Path dir;

    @Test
    void theApiListensOnTheGivenPortAndAcceptsOnlyTheToken() throws Exception {
        int port = freePort();
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                SimulatedLorawanFleet fleet = builder(broker).multicastApi(TOKEN)
                        .apiAddress(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port)).start()) {
            assertEquals(URI.create("http://127.0.0.1:" + port), fleet.apiUri());
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest.Builder create = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/multicast-groups")).POST(HttpRequest.BodyPublishers.ofString("{}"));
            assertEquals(401, http.send(create.copy().header("Authorization", "Bearer other").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            // the token passes; the empty group is then refused for what it is
            assertEquals(400, http.send(create.copy().header("Authorization", "Bearer " + TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(1, fleet.multicast().unauthorized());
        }
    }

    @Test
    void aTakenPortFailsTheStartNamingIt() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            SimulatedLorawanFleet.Builder builder = builder(broker).multicastApi(TOKEN)
                    .apiAddress(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), taken.getLocalPort()));
            IOException e = assertThrows(IOException.class, builder::start);
            assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()) && e.getMessage().contains(
                    "in use"), e.getMessage());
            // nothing of the failed start is left: the same port serves once it is free
            int port = taken.getLocalPort();
            taken.close();
            try (SimulatedLorawanFleet fleet = builder.start()) {
                assertEquals(URI.create("http://127.0.0.1:" + port), fleet.apiUri());
            }
        }
    }

    @Test
    void onlyALoopbackAddressIsTaken() throws Exception {
        SimulatedLorawanFleet.Builder builder = SimulatedLorawanFleet.builder("tcp://127.0.0.1:1", "app");
        assertThrows(IllegalArgumentException.class, () -> builder.apiAddress(new InetSocketAddress(
                InetAddress.getByName("192.0.2.1"), 8090)));
        assertThrows(IllegalArgumentException.class, () -> builder.apiAddress(InetSocketAddress.createUnresolved(
                "localhost", 8090)));
    }

    private static SimulatedLorawanFleet.Builder builder(Mosquitto broker) {
        return SimulatedLorawanFleet.builder(broker.uri(), "demo-app").trust(SigningKey.generate(KeyAlgorithm.ED25519)
                .did(), did -> Optional.empty());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
