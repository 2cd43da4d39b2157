package org.updraft.transport.lorawan.internal.chirpstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.transport.lorawan.internal.multicast.McKeys;
import org.updraft.transport.lorawan.internal.sim.SimulatedChirpstackApi;

/** The API client's errors, and a group that cannot be set up whole is not left behind. */
class ChirpstackApiTest {

    private static final String TOKEN = "tok-3b9e";
    private static final String DEV = "70b3d50000000001";

    @TempDir
    Path dir;

    private ChirpstackApi.Group group(String app) {
        return new ChirpstackApi.Group(app, "g", 0x0a0b0c0dL, McKeys.sessionKeys(new byte[16], 0x0a0b0c0dL), 5,
                869_525_000L, "EU868");
    }

    @Test
    void groupWithADeviceChirpstackDoesNotKnowIsDeletedAgain() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        // no enqueue here: the API needs no radio
        try (SimulatedChirpstackApi sim = new SimulatedChirpstackApi(TOKEN, "app", null, Set.of(DEV))) {
            ChirpstackApi api = new ChirpstackApi(sim.uri(), token);
            ChirpstackApi.ApiException e = assertThrows(ChirpstackApi.ApiException.class,
                    () -> MulticastGroup.open(api, group("app"), List.of(DEV, "70b3d500000000ff")));
            assertEquals(404, e.status());
            assertTrue(e.getMessage().contains("adding 70b3d500000000ff") && e.getMessage().contains("HTTP 404")
                    && e.getMessage().contains("object does not exist"), e.getMessage());
            assertEquals(1, sim.created.get());
            assertEquals(1, sim.deleted.get());
            assertEquals(0, sim.groups());

            e = assertThrows(ChirpstackApi.ApiException.class, () -> api.createGroup(group("other-app")));
            assertEquals(404, e.status());

            try (MulticastGroup g = MulticastGroup.open(api, group("app"), List.of(DEV))) {
                assertEquals(1, sim.groups());
                assertEquals(Set.of(DEV), sim.members());
            }
            assertEquals(0, sim.groups());
        }
    }

    @Test
    void refusedTokenAndNoAnswerAreClearAndNameNoSecret() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "wrong-" + TOKEN);
        try (SimulatedChirpstackApi sim = new SimulatedChirpstackApi(TOKEN, "app", null, Set.of(DEV))) {
            ChirpstackApi api = new ChirpstackApi(sim.uri(), token);
            ChirpstackApi.ApiException e = assertThrows(ChirpstackApi.ApiException.class,
                    () -> api.createGroup(group("app")));
            assertEquals(401, e.status());
            assertFalse(e.transientFailure());
            assertTrue(e.getMessage().contains("HTTP 401 (authentication failed: invalid token); check "
                    + "api.token.file"), e.getMessage());
            assertFalse(e.getMessage().contains(TOKEN), e.getMessage());
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ChirpstackApi gone = new ChirpstackApi(URI.create("http://127.0.0.1:" + port + "/"), token);
        ChirpstackApi.ApiException e = assertThrows(ChirpstackApi.ApiException.class, () -> gone.deleteGroup("x1"));
        assertEquals(0, e.status());
        assertTrue(e.transientFailure());
        assertTrue(e.getMessage().contains("no answer from ChirpStack's API at http://127.0.0.1:" + port),
                e.getMessage());

        ChirpstackApi noToken = new ChirpstackApi(URI.create("http://127.0.0.1:" + port), dir.resolve("missing"));
        e = assertThrows(ChirpstackApi.ApiException.class, () -> noToken.deleteGroup("x1"));
        assertTrue(e.getMessage().startsWith("api.token.file "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChirpstackApi(URI.create("ftp://h/"), token));
    }
}
