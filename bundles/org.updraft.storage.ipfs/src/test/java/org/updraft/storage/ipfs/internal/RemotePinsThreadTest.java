package org.updraft.storage.ipfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.ServerSocket;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.updraft.api.multiformats.Cid;

/** Remote pinning's background work and its one thread, against a service that cannot be reached. */
class RemotePinsThreadTest {

    @Test
    void retriesRunOnOneNamedThreadThatEndsWhenTheStoreStops() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort(); // nothing listens there once closed: every request is refused
        }
        RemotePins pins = new RemotePins(new PinningService(URI.create("http://127.0.0.1:" + closedPort),
                "token", Duration.ofSeconds(2)), List::of, Duration.ofMillis(100), Duration.ofMillis(200));
        for (int i = 0; i < 20; i++) {
            pins.request(Cid.v0(MessageDigest.getInstance("SHA-256").digest(new byte[] {(byte) i})), "object-" + i);
        }
        Thread worker = null;
        for (int i = 0; i < 100 && worker == null; i++) {
            worker = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("updraft-remote-pins") && t.isAlive()).findFirst()
                    .orElse(null);
            Thread.sleep(10);
        }
        assertEquals("updraft-remote-pins-1", worker == null ? null : worker.getName());
        assertEquals(1, Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("updraft-remote-pins") && t.isAlive()).count(),
                "20 objects retried in the background share one thread");

        pins.close();
        worker.join(TimeUnit.SECONDS.toMillis(2));
        assertFalse(worker.isAlive(), "the remote pins' thread outlived the store");
    }
}
