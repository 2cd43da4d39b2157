package org.updraft.ledger.evm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.registry.jdbc.internal.SchemaMigrations;
import org.updraft.registry.jdbc.internal.SqlDeviceRegistry;
import org.updraft.testing.platform.RolloutServices;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The offer a device gets says where its release is on chain, and an auditor finds it there with nothing but
 * plain JSON-RPC to a node of that chain. The offer is the real update service's, over the EVM ledger, on ganache.
 */
class AnchoredOfferTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void anOfferCarriesItsReleasesChainAnchor_whichAnAuditorChecksWithPlainJsonRpc() throws Exception {
        try (Ganache ganache = Ganache.start(dir.resolve("chain"));
                Platform p = Platform.open(dir, Platform.settings(ganache.url(), dir, "", 1000,
                        Duration.ofMinutes(10)))) {
            PlainRpc rpc = new PlainRpc(ganache.url());
            SigningKey signer = SigningKey.generate(KeyAlgorithm.ED25519);
            p.trust.register(signer.did(), "acme", Set.of("thermo"));
            Release release = p.publish(signer, 4);
            assertEquals(AnchorOutcome.State.ANCHORED, p.evm.awaitAnchored(release.ledgerIndex(), WAIT).state());

            SqlDeviceRegistry registry = registry();
            registry.register(new Device("dev-1", SigningKey.generate(KeyAlgorithm.ED25519).did(), "acme", "thermo",
                    "cortex-m4", Set.of(), null, "1.1.0", 1, DeviceState.IDLE, null, Instant.now()));
            try (RolloutServices services = p.rollouts(registry)) {
                Rollout rollout = services.rollouts().create(new RolloutSpec(release.id(), DeviceFilter.ALL,
                        List.of(new WaveSpec("all", new WaveSelector.Percent(100), 100, 50, true, null, 0))),
                        "alice");
                services.rollouts().start(rollout.id(), "alice");

                // no anchor source bound: an offer all the same, without an anchor
                UpdateAnswer.Offer plain = offer(services);
                assertNull(plain.anchor());

                // the EVM ledger bound as the anchor source: the offer is made again with the anchor, listeners told
                services.bindAnchors(p.evm);
                UpdateAnswer.Offer anchored = awaitAnchoredOffer(services);
                assertTrue(services.answersChanged().contains(rollout.id()), services.answersChanged().toString());
                assertFalse(Arrays.equals(plain.tag(), anchored.tag()),
                        "the anchor is part of the answer");
                ReleaseAnchor anchor = anchored.anchor();
                assertEquals(p.evm.find(release.id()).orElseThrow(), anchor);

                // what the device decodes is what the platform sent
                DeviceAnswer.Offer device = assertInstanceOf(DeviceAnswer.Offer.class,
                        UpdateAnswers.decode(UpdateAnswers.encode(anchored)));
                assertEquals(anchor, device.anchor());

                // the auditor: the chain id, the transaction's receipt, the log at that index
                assertEquals(Long.decode(rpc.call("eth_chainId", "[]").asText()), anchor.chainId());
                JsonNode receipt = rpc.call("eth_getTransactionReceipt", "[\"" + anchor.transactionHash() + "\"]");
                assertNotNull(receipt, "no receipt for " + anchor.transactionHash());
                assertEquals("0x1", receipt.get("status").asText());
                assertEquals(anchor.transactionHash(), receipt.get("transactionHash").asText().toLowerCase());
                assertEquals(anchor.blockNumber(), Long.decode(receipt.get("blockNumber").asText()));
                JsonNode log = null;
                for (JsonNode l : receipt.get("logs")) {
                    if (Long.decode(l.get("logIndex").asText()) == anchor.logIndex()) {
                        log = l;
                    }
                }
                assertNotNull(log, "no log " + anchor.logIndex() + " in transaction " + anchor.transactionHash());
                assertEquals(anchor.contract(), log.get("address").asText().toLowerCase());
                assertEquals(PlainRpc.keccakHex("ReleasePublished(bytes32,string,uint64)"),
                        log.get("topics").get(0).asText());
                assertEquals(PlainRpc.keccakHex(release.id()), log.get("topics").get(1).asText());
                // and the contract, asked directly, records the release in that block
                byte[] r = rpc.ethCall(anchor.contract(), "release(string)", release.id());
                assertEquals(anchor.blockNumber(), PlainRpc.uint(r, 7).longValueExact());

                // the anchor source gone: the anchor found stays (it is on chain), offers keep it
                services.unbindAnchors(p.evm);
                assertEquals(anchor, offer(services).anchor());
            }
        }
    }

    @Test
    void aReleaseNotYetAnchored_isOfferedWithoutAnchorWhileTheChainIsDown_andWithItOnceAnchored() throws Exception {
        // trust replayed from the log (trust = ledger): the EVM trust store refuses to publish while the chain is down
        try (Ganache ganache = Ganache.start(dir.resolve("chain"));
                Platform p = Platform.open(dir, Platform.settings(ganache.url(), dir, "", 1000,
                        Duration.ofSeconds(1)), true)) {
            SigningKey signer = SigningKey.generate(KeyAlgorithm.ED25519);
            p.trust.register(signer.did(), "acme", Set.of("thermo"));
            Release first = p.publish(signer, 1);
            assertEquals(AnchorOutcome.State.ANCHORED, p.evm.awaitAnchored(first.ledgerIndex(), WAIT).state());
            SqlDeviceRegistry registry = registry();
            registry.register(new Device("dev-1", SigningKey.generate(KeyAlgorithm.ED25519).did(), "acme", "thermo",
                    "cortex-m4", Set.of(), null, "1.1.0", 1, DeviceState.IDLE, null, Instant.now()));

            ganache.stop();
            Release release = p.publish(signer, 2);
            try (RolloutServices services = p.rollouts(registry)) {
                services.bindAnchors(p.evm);
                Rollout rollout = services.rollouts().create(new RolloutSpec(release.id(), DeviceFilter.ALL,
                        List.of(new WaveSpec("all", new WaveSelector.Percent(100), 100, 50, true, null, 0))),
                        "alice");
                services.rollouts().start(rollout.id(), "alice");

                // the chain is down: checks answer, the offer has no anchor (and no check fails)
                for (int i = 0; i < 3; i++) {
                    assertNull(offer(services).anchor());
                    Thread.sleep(200);
                }

                ganache.start();
                assertEquals(AnchorOutcome.State.ANCHORED, p.evm.awaitAnchored(release.ledgerIndex(), WAIT).state());
                ReleaseAnchor anchor = awaitAnchoredOffer(services).anchor();
                assertEquals(p.evm.find(release.id()).orElseThrow(), anchor);
            }
        }
    }

    private SqlDeviceRegistry registry() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:file:" + dir.resolve("registry").resolve("devices"));
        SqlDeviceRegistry registry = new SqlDeviceRegistry(h2, "h2 (test)", SchemaMigrations.shipped(), true);
        assertTrue(registry.open(), registry.problem());
        return registry;
    }

    private static UpdateAnswer.Offer offer(RolloutServices services) throws Exception {
        return assertInstanceOf(UpdateAnswer.Offer.class, services.updates().check("dev-1", 1));
    }

    /** Checks again until the offer carries an anchor: the chain is asked in the background, not in the check. */
    private static UpdateAnswer.Offer awaitAnchoredOffer(RolloutServices services) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            UpdateAnswer.Offer offer = offer(services);
            if (offer.anchor() != null) {
                return offer;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no offer carried an anchor within " + WAIT);
    }
}
