package org.updraft.ledger.evm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.ledger.postgresql.internal.SqlLedger;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.testing.PostgresSchema;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * EVM anchoring over a PostgreSQL log that two nodes share (the PostgreSQL of .ci/postgres, a schema of its own; a real
 * chain, ganache): one node at a time anchors, under the lease; both anchor to the one contract; the other node takes
 * over when the anchoring node dies, and nothing is anchored twice or left out.
 */
class SharedLedgerAnchoringTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration LEASE = Duration.ofSeconds(2);
    private static final SigningKey LOG_KEY = SigningKey.generate(KeyAlgorithm.ED25519);

    @TempDir
    static Path chainDir;
    private static Ganache ganache;
    private static PlainRpc rpc;

    @TempDir
    Path dir;
    private PostgresSchema schema;
    private final List<Node> nodes = new ArrayList<>();

    /** One platform node: its own pool, ledger instance, anchoring and trust store, as a Karaf node has them. */
    private final class Node {
        final String id;
        final HikariDataSource pool;
        final SqlLedger ledger;
        final EvmLedger evm;
        final LedgerTrustStore trust;
        boolean stopped;

        Node(String id) throws Exception {
            this.id = id;
            HikariConfig config = new HikariConfig();
            config.setDataSource(schema.dataSource());
            config.setMaximumPoolSize(4);
            config.setMinimumIdle(1);
            config.setConnectionTimeout(5000);
            pool = new HikariDataSource(config);
            ledger = new SqlLedger(pool, schema.name(), LOG_KEY, "test-log", 1000, true);
            ledger.open();
            ledger.shareDecisions(id, LEASE);
            Path home = Files.createDirectories(dir.resolve(id));
            // every node the same account key file, as the README asks; no contract configured: one is deployed
            Platform.writeKey(home.resolve("account.key"));
            evm = new EvmLedger(Platform.settings(ganache.url(), Ganache.CHAIN_ID, home, "", 1000,
                    Duration.ofMinutes(10)), ledger);
            trust = new LedgerTrustStore(evm);
        }

        boolean anchors() {
            return evm.contract().isPresent() && evm.status().standingByFor() == null;
        }

        /** Killed: its connections cut first, so that its lease is not given back but lapses; then its threads stop. */
        void kill() {
            pool.close();
            stop();
        }

        void stop() {
            if (!stopped) {
                stopped = true;
                evm.deactivate();
                ledger.close();
                pool.close();
            }
        }
    }

    @BeforeAll
    static void startChain() throws Exception {
        ganache = Ganache.start(chainDir.resolve("db"));
        rpc = new PlainRpc(ganache.url());
    }

    @AfterAll
    static void stopChain() throws Exception {
        if (ganache != null) {
            ganache.close();
        }
    }

    @BeforeEach
    void createSchema() {
        schema = PostgresSchema.create("evm_t");
    }

    @AfterEach
    void dropSchema() throws SQLException {
        nodes.forEach(Node::stop);
        schema.close();
    }

    private Node node(String id) throws Exception {
        Node n = new Node(id);
        nodes.add(n);
        return n;
    }

    @Test
    void oneNodeAnchorsTheSharedLogToOneContractAndTheOtherTakesOverWhenItDies() throws Exception {
        Node a = node("node-a");
        Node b = node("node-b");
        await("one node to deploy the contract and anchor", () -> a.anchors() || b.anchors());
        Node anchoring = a.anchors() ? a : b;
        Node standing = anchoring == a ? b : a;

        // trust changes made on both nodes, anchored once, by the anchoring node, to the one contract
        SigningKey first = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey second = SigningKey.generate(KeyAlgorithm.ED25519);
        TrustedKey onAnchoring = anchoring.trust.register(first.did(), "acme", Set.of());
        TrustedKey onStanding = standing.trust.register(second.did(), "acme", Set.of());
        for (Node n : List.of(a, b)) {
            for (long index : List.of(onAnchoring.ledgerIndex(), onStanding.ledgerIndex())) {
                AnchorOutcome outcome = n.evm.awaitAnchored(index, WAIT);
                assertEquals(AnchorOutcome.State.ANCHORED, outcome.state(),
                        n.id + " waiting for #" + index + ": " + outcome.detail());
            }
        }
        String contract = anchoring.evm.contract().orElseThrow();
        assertEquals(contract, standing.evm.contract().orElseThrow(), "both nodes anchor to the one contract");
        assertEquals(1, deployments(a), "the contract is deployed once, and recorded in the shared log");
        assertEquals(anchoring.id, standing.evm.status().standingByFor());
        assertEquals(0, standing.evm.status().transactions(), "the standing-by node sends nothing");
        assertTrue(anchoring.evm.status().transactions() >= 3, "deployment and two trust events");
        for (SigningKey key : List.of(first, second)) {
            byte[] m = rpc.ethCall(contract, "manufacturer(string)", key.did());
            assertEquals(1, PlainRpc.uint(m, 0).intValueExact(), key.did() + " is Active on chain");
        }

        // the anchoring node dies holding the lease: the other takes over once it lapses, reads back what the chain
        // has, and anchors what comes next to the same contract
        anchoring.kill();
        SigningKey third = SigningKey.generate(KeyAlgorithm.ED25519);
        TrustedKey afterDeath = standing.trust.register(third.did(), "acme", Set.of());
        AnchorOutcome outcome = standing.evm.awaitAnchored(afterDeath.ledgerIndex(), WAIT);
        assertEquals(AnchorOutcome.State.ANCHORED, outcome.state(), String.valueOf(outcome.detail()));
        assertNull(standing.evm.status().standingByFor(), "the surviving node anchors now");
        assertEquals(contract, standing.evm.contract().orElseThrow());
        assertEquals(1, deployments(standing), "no second contract");
        assertEquals(1, PlainRpc.uint(rpc.ethCall(contract, "manufacturer(string)", third.did()), 0).intValueExact());
        assertNotNull(standing.ledger.decisions().orElseThrow().leases().stream()
                .filter(l -> l.name().equals(Anchoring.LEASE) && l.holder().equals(standing.id)).findFirst()
                .orElse(null), "the lease is the survivor's");
    }

    @Test
    void aNodeJoiningLaterAnchorsToTheContractRecordedInTheLogAfterTheFirstStops() throws Exception {
        Node a = node("node-a");
        await("node a to deploy the contract", a::anchors);
        String contract = a.evm.contract().orElseThrow();
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        TrustedKey registered = a.trust.register(key.did(), "acme", Set.of());
        assertEquals(AnchorOutcome.State.ANCHORED, a.evm.awaitAnchored(registered.ledgerIndex(), WAIT).state());
        a.stop(); // gives its lease back

        Node c = node("node-c"); // a state directory of its own: it learns the contract from the log alone
        SigningKey later = SigningKey.generate(KeyAlgorithm.ED25519);
        TrustedKey added = c.trust.register(later.did(), "acme", Set.of());
        assertEquals(AnchorOutcome.State.ANCHORED, c.evm.awaitAnchored(added.ledgerIndex(), WAIT).state());
        assertEquals(contract, c.evm.contract().orElseThrow());
        assertEquals(1, deployments(c));
    }

    /** How many contract deployments the shared log records. */
    private static long deployments(Node n) throws Exception {
        long count = 0;
        for (long from = 0;;) {
            List<LedgerEntry> page = n.ledger.read(from, 256);
            if (page.isEmpty()) {
                return count;
            }
            count += page.stream().filter(e -> e.event().type().equals(Anchoring.CONTRACT_DEPLOYED)).count();
            from = page.get(page.size() - 1).index() + 1;
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
