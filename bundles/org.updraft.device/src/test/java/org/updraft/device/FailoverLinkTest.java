package org.updraft.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.testing.platform.DeviceApi;

/**
 * Two nodes of one platform (two real CoAP device APIs over DTLS with the same key, serving the same updates): a node
 * that stops answering in the middle of an update loses none of its devices, they go on from the other node.
 */
class FailoverLinkTest {

    private static final int DEVICES = 16;
    private static final int IMAGE = 48 * 1024;

    @TempDir
    Path dir;

    private static SimulatedDevice device(OneReleaseUpdates platform, String id) {
        Provisioning p = new Provisioning(id, SigningKey.generate(KeyAlgorithm.ED25519), OneReleaseUpdates.VENDOR,
                OneReleaseUpdates.CLASS, null, "eu-west", Set.of(), platform.ledger.logKey(), platform.trust(),
                platform.statementKey());
        return new SimulatedDevice(p, new AbFlash("0.0.0", 0, new byte[] {1, 2, 3}), 0);
    }

    private static CoapLink.Builder dtlsTo(java.net.InetSocketAddress node, String key) {
        // CoAP gives up on a silent node after 0.1 + 0.2 + 0.4 s (and up to half as much again)
        return CoapLink.builder(node).dtls(key).ackTimeout(Duration.ofMillis(100)).maxRetransmit(2);
    }

    @Test
    void devicesOfANodeThatDiesMidUpdateMoveToTheOtherNodeAndAllInstall() throws Exception {
        try (OneReleaseUpdates platform = new OneReleaseUpdates(dir, IMAGE, false, true)) {
            DeviceApi nodeB = platform.serveAnotherNode();
            DeviceApi nodeA = platform.deviceApi();
            List<SimulatedDevice> fleet = new ArrayList<>();
            for (int i = 0; i < DEVICES; i++) {
                SimulatedDevice d = device(platform, String.format("dev-%02d", i));
                platform.register(d);
                fleet.add(d);
            }
            try (FailoverLink link = new FailoverLink(List.of(dtlsTo(nodeA.dtlsAddress(), platform.dtlsKey()).open(),
                    dtlsTo(nodeB.dtlsAddress(), platform.dtlsKey()).open()))) {
                List<CompletableFuture<UpdateOutcome>> runs = new ArrayList<>();
                for (SimulatedDevice d : fleet) {
                    // opened in turn: even devices start on A, odd ones on B
                    DeviceAgent agent = DeviceAgent.builder(d, link).blockSize(512)
                            .pollInterval(Duration.ofMillis(200)).build();
                    runs.add(agent.update());
                }
                long total = (long) DEVICES * IMAGE;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (platform.bytesServed.get() < total / 4 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                long servedWhenADied = platform.bytesServed.get();
                nodeA.close();
                // devices done before A went silent (no report reaches A after this) stay where they were
                Set<String> doneBefore = new java.util.HashSet<>();
                for (SimulatedDevice d : fleet) {
                    if (platform.statesReportedBy(d.id()).contains(DeviceState.INSTALLED)) {
                        doneBefore.add(d.id());
                    }
                }
                assertTrue(servedWhenADied < total / 2, "node A stopped while the fleet was still downloading: "
                        + servedWhenADied + " of " + total + " bytes served");

                for (CompletableFuture<UpdateOutcome> run : runs) {
                    UpdateOutcome outcome = run.get(60, TimeUnit.SECONDS);
                    assertEquals(DeviceState.INSTALLED, outcome.state(), outcome.toString());
                }
                for (int i = 0; i < DEVICES; i++) {
                    SimulatedDevice d = fleet.get(i);
                    assertArrayEquals(platform.image, d.flash().running().bytes(), d.id());
                    // A's devices moved to B, B's stayed
                    assertEquals(doneBefore.contains(d.id()) ? i % 2 : 1, link.nodeOf(d.id()).orElseThrow(), d.id());
                    assertEquals(DeviceState.INSTALLED, platform.statesReportedBy(d.id())
                            .get(platform.statesReportedBy(d.id()).size() - 1), d.id());
                }
                long onAWhenItDied = java.util.stream.IntStream.range(0, DEVICES)
                        .filter(i -> i % 2 == 0 && !doneBefore.contains(fleet.get(i).id())).count();
                assertTrue(onAWhenItDied > 0, "devices of A still updating when it died");
                // each of them moved once, to B; none of B's moved
                assertEquals(onAWhenItDied, link.moves());
                System.out.println("failover: " + DEVICES + " devices, node A stopped after " + servedWhenADied
                        + " of " + total + " bytes, " + link.moves() + " moves");
            }
        }
    }

    @Test
    void aRefusalIsAnAnswerAndMovesNoDevice() throws Exception {
        try (OneReleaseUpdates platform = new OneReleaseUpdates(dir, 3_000, false)) {
            DeviceApi nodeB = platform.serveAnotherNode();
            try (FailoverLink link = new FailoverLink(List.of(
                    CoapLink.builder(platform.address()).ackTimeout(Duration.ofMillis(100)).open(),
                    CoapLink.builder(nodeB.address()).ackTimeout(Duration.ofMillis(100)).open()))) {
                SimulatedDevice stranger = device(platform, "dev-stranger");

                ExecutionException e = assertThrows(ExecutionException.class, () -> DeviceAgent
                        .builder(stranger, link).build().update().get(30, TimeUnit.SECONDS));

                assertInstanceOf(DeviceAgentException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("4.04"), e.getCause().getMessage());
                assertEquals(0, link.moves());
                assertEquals(0, link.nodeOf("dev-stranger").orElseThrow());
                assertTrue(link.describe().startsWith("failover over 2 nodes: "), link.describe());
            }
        }
    }
}
