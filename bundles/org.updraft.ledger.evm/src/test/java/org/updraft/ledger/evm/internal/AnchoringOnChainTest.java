package org.updraft.ledger.evm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestVerifier;
import org.updraft.core.manifest.VerificationException;

import com.fasterxml.jackson.databind.JsonNode;

/** The EVM backend against a real chain (ganache), checked through a second client that is not web3j. */
class AnchoringOnChainTest {

    private static final BigInteger NOT_FROM_LOG = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path chainDir;
    private static Ganache ganache;
    private static PlainRpc rpc;

    @TempDir
    Path dir;

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

    private Platform platform(int batchSize, Duration interval) throws Exception {
        return Platform.open(dir, Platform.settings(ganache.url(), dir, "", batchSize, interval));
    }

    private static String contract(Platform p) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (p.evm.contract().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return p.evm.contract().orElseThrow();
    }

    @Test
    void publishingARelease_createsTheContractEntries_readBackWithPlainJsonRpc() throws Exception {
        try (Platform p = platform(1000, Duration.ofMinutes(10))) {
            SigningKey signer = SigningKey.generate(KeyAlgorithm.ED25519);
            TrustedKey registered = p.trust.register(signer.did(), "acme", Set.of("thermo"));
            assertEquals(KeyStatus.ACTIVE, registered.status());

            Release release = p.publish(signer, 4);
            AnchorOutcome outcome = p.evm.awaitAnchored(release.ledgerIndex(), WAIT);
            assertEquals(AnchorOutcome.State.ANCHORED, outcome.state(), String.valueOf(outcome.detail()));
            String contract = contract(p);

            // release(string) -> (signer, vendor, class, sequence, manifestDigest, cid, logIndex, blockNumber)
            byte[] r = rpc.ethCall(contract, "release(string)", release.id());
            assertEquals(signer.did(), PlainRpc.string(r, 0));
            assertEquals("acme", PlainRpc.string(r, 1));
            assertEquals("thermo", PlainRpc.string(r, 2));
            assertEquals(4, PlainRpc.uint(r, 3).longValueExact());
            byte[] manifest = ReleaseEvents.decodePublished(p.local.get(release.ledgerIndex()).event().payload())
                    .bytes();
            assertArrayEquals(Anchoring.sha256(manifest), PlainRpc.bytes32(r, 4));
            assertEquals(release.cid().toString(), PlainRpc.string(r, 5));
            assertEquals(release.ledgerIndex(), PlainRpc.uint(r, 6).longValueExact());
            long block = PlainRpc.uint(r, 7).longValueExact();
            assertTrue(block > 0);

            // manufacturer(string) -> (status, vendor, classes, publicKey, successor, reason, controller, ...)
            byte[] m = rpc.ethCall(contract, "manufacturer(string)", signer.did());
            assertEquals(1, PlainRpc.uint(m, 0).intValueExact(), "status Active");
            assertEquals("acme", PlainRpc.string(m, 1));
            assertEquals(0, PlainRpc.uint(rpc.ethCall(contract, "latestSequence(string,string)", "acme", "other"), 0)
                    .intValue());
            assertEquals(4, PlainRpc.uint(rpc.ethCall(contract, "latestSequence(string,string)", "acme", "thermo"), 0)
                    .intValue());

            // where a device's auditor finds it: the transaction, block and log the platform hands out
            ReleaseAnchor anchor = p.evm.find(release.id()).orElseThrow();
            assertEquals(block, anchor.blockNumber());
            JsonNode receipt = rpc.call("eth_getTransactionReceipt", "[\"" + anchor.transactionHash() + "\"]");
            assertEquals(block, Long.decode(receipt.get("blockNumber").asText()));
            JsonNode log = null;
            for (JsonNode l : receipt.get("logs")) {
                if (Long.decode(l.get("logIndex").asText()) == anchor.logIndex()) {
                    log = l;
                }
            }
            assertEquals(PlainRpc.keccakHex(release.id()), log.get("topics").get(1).asText());
            assertEquals(contract, log.get("address").asText().toLowerCase());

            // the contract itself refuses what the platform would: an older sequence, an unknown signer
            p.publish(signer, 9);
            AppendReceipt older = appendRelease(p, signer, 7);
            assertRefused(p, older, "sequence not greater");
            SigningKey stranger = SigningKey.generate(KeyAlgorithm.P256);
            AppendReceipt unknown = appendRelease(p, stranger, 10);
            assertRefused(p, unknown, "signer not registered");
            assertEquals(9, PlainRpc.uint(rpc.ethCall(contract, "latestSequence(string,string)", "acme", "thermo"), 0)
                    .intValue());
        }
    }

    /** A release event appended straight to the ledger, as a platform with a stale trust store could. */
    private static AppendReceipt appendRelease(Platform p, SigningKey key, long sequence) throws Exception {
        byte[] manifest = Files.readAllBytes(p.sign(key, sequence)[0]);
        return p.evm.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.now(), key.did(),
                ReleaseEvents.published(ManifestCodec.parse(manifest)), null));
    }

    private static void assertRefused(Platform p, AppendReceipt receipt, String reason) throws Exception {
        AnchorOutcome outcome = p.evm.awaitAnchored(receipt.index(), WAIT);
        assertEquals(AnchorOutcome.State.REFUSED, outcome.state());
        assertTrue(outcome.detail().contains(reason), outcome.detail());
    }

    @Test
    void aKeyRevokedOnChainByGovernance_isRefusedByThePlatformAndByDevices() throws Exception {
        try (Platform p = platform(1000, Duration.ofMinutes(10))) {
            SigningKey signer = SigningKey.generate(KeyAlgorithm.P256);
            p.trust.register(signer.did(), "acme", Set.of());
            Release first = p.publish(signer, 1);
            String contract = contract(p);
            byte[] firstManifest = Files.readAllBytes(p.directory.resolve("manifest-1.cose"));
            ManifestVerifier device = new ManifestVerifier(p.trust::find);
            device.verify(firstManifest, Expectations.none().deviceClass("thermo").installedSequence(0));

            // the governance account revokes on chain directly; the platform is not involved
            JsonNode receipt = rpc.sendFrom(Ganache.GOVERNOR, contract, "revokeManufacturer(uint64,string,string)",
                    NOT_FROM_LOG, signer.did(), "key leaked");
            assertEquals("0x1", receipt.get("status").asText());

            TrustedKey revoked = p.trust.find(signer.did()).orElseThrow();
            assertEquals(KeyStatus.REVOKED, revoked.status());
            assertEquals("key leaked", revoked.reason());
            assertEquals(-1, revoked.ledgerIndex(), "a change made on chain has no local ledger event");

            ReleaseException refused = assertThrows(ReleaseException.class, () -> p.publish(signer, 2));
            assertEquals(Failure.REVOKED_SIGNER.code(), refused.reason());
            VerificationException rejected = assertThrows(VerificationException.class, () -> device.verify(
                    firstManifest, Expectations.none().deviceClass("thermo").installedSequence(0)));
            assertEquals(Failure.REVOKED_SIGNER, rejected.failure());
            assertTrue(p.releases.find(first.id()).isPresent());
            assertTrue(p.releases.find("acme/thermo/2").isEmpty());
        }
    }

    @Test
    void whileTheChainIsDown_eventsAreAccepted_andAnchoredOnceItIsBack_eachExactlyOnce_andTrustFailsClosed()
            throws Exception {
        EvmSettings settings = Platform.settings(ganache.url(), dir, "", 50, Duration.ofSeconds(1));
        SigningKey signer = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey leaked = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey stranger = SigningKey.generate(KeyAlgorithm.ED25519);
        String contract;
        long size;
        try (Platform p = Platform.open(dir, settings)) {
            p.trust.register(signer.did(), "acme", Set.of("thermo"));
            p.publish(signer, 1);
            p.trust.register(leaked.did(), "acme", Set.of());
            p.trust.revoke(leaked.did(), "key leaked");
            assertEquals(KeyStatus.ACTIVE, p.trust.find(signer.did()).orElseThrow().status());
            contract = contract(p);

            ganache.stop();
            // trust fails closed: a key read active before may have been revoked on chain since, an unknown one
            // registered; only a revocation, final on the contract, is answered from memory
            TrustException active = assertThrows(TrustException.class, () -> p.trust.find(signer.did()));
            assertTrue(active.getMessage().startsWith("cannot tell whether " + signer.did() + " is trusted: cannot"
                    + " read the chain: chain node " + ganache.url() + " unreachable"), active.getMessage());
            assertThrows(TrustException.class, () -> p.trust.find(stranger.did()));
            assertThrows(TrustException.class, () -> p.trust.list());
            TrustedKey stillRevoked = p.trust.find(leaked.did()).orElseThrow();
            assertEquals(KeyStatus.REVOKED, stillRevoked.status());
            assertEquals("key leaked", stillRevoked.reason());
            ReleaseException refused = assertThrows(ReleaseException.class, () -> p.publish(signer, 2));
            assertEquals(Failure.TRUST_UNAVAILABLE.code(), refused.reason());

            // the log still takes every event; releases recorded by a platform whose trust is the ledger
            p.appendNoise(120);
            AppendReceipt second = appendRelease(p, signer, 2);
            p.appendNoise(30);
            AppendReceipt third = appendRelease(p, signer, 3);
            p.appendNoise(7);
            size = p.local.size();
            AnchorOutcome pending = p.evm.awaitAnchored(second.index(), Duration.ofSeconds(1));
            assertEquals(AnchorOutcome.State.PENDING, pending.state());
            assertFalse(p.evm.status().chainReachable());

            ganache.start();
            assertEquals(AnchorOutcome.State.ANCHORED, p.evm.awaitAnchored(third.index(), WAIT).state());
            assertEquals(AnchorOutcome.State.ANCHORED, p.evm.awaitAnchored(second.index(), WAIT).state());
            awaitCheckpoint(contract, size);
            assertEquals(third.index() + 1, PlainRpc.uint(rpc.ethCall(contract, "eventsAnchored()"), 0)
                    .longValueExact());
            assertEquals(KeyStatus.ACTIVE, p.trust.find(signer.did()).orElseThrow().status(), "the chain answers");
            assertTrue(p.trust.find(stranger.did()).isEmpty());
        }

        // the platform restarts having lost its cursor: it reads the chain instead of sending anything again
        Files.delete(dir.resolve("evm-state").resolve(AnchorCursor.FILE));
        EvmSettings again = Platform.settings(ganache.url(), dir, contract, 50, Duration.ofSeconds(1));
        try (Platform p = Platform.open(dir, again)) {
            assertEquals(AnchorOutcome.State.NOT_ANCHORED, p.evm.awaitAnchored(size - 1, WAIT).state());
            Thread.sleep(1500); // one checkpoint interval: nothing is due, nothing must be sent
            assertEquals(0, p.evm.status().transactions());
        }

        Map<String, Integer> releases = countLogs(contract, "ReleasePublished(bytes32,string,uint64)");
        assertEquals(Map.of(PlainRpc.keccakHex("acme/thermo/1"), 1, PlainRpc.keccakHex("acme/thermo/2"), 1,
                PlainRpc.keccakHex("acme/thermo/3"), 1), releases);
        assertEquals(Map.of(PlainRpc.keccakHex(signer.did()), 1, PlainRpc.keccakHex(leaked.did()), 1),
                countLogs(contract, "ManufacturerRegistered(bytes32,string,string,address,uint64)"));
        // checkpoints strictly grow, the last covers every event appended during the outage
        long count = PlainRpc.uint(rpc.ethCall(contract, "checkpointCount()"), 0).longValueExact();
        long previous = 0;
        for (long n = 0; n < count; n++) {
            long treeSize = PlainRpc.uint(rpc.ethCall(contract, "checkpoint(uint256)", n), 0).longValueExact();
            assertTrue(treeSize > previous);
            previous = treeSize;
        }
        assertEquals(size, previous);
    }

    /**
     * The ledger of {@code feature:install} and one {@code rpc.url}: no chain id configured, no key file yet. It
     * starts anyway and says what it lacks; given the key it takes the node's chain and deploys there; once the
     * contract is deployed a node of another chain is refused, and nothing is sent to it.
     */
    @Test
    void withNeitherChainIdNorKeyFile_theLedgerStarts_takesTheNodesChainOnceTheKeyIsThere_andRefusesAnother()
            throws Exception {
        EvmSettings settings = Platform.settings(ganache.url(), 0, dir, "", 1000, Duration.ofMinutes(10));
        Path key = settings.accountKeyFile();
        String contract;
        try (Platform p = Platform.open(dir, settings)) {
            AppendReceipt event = p.appendNoise(1);
            awaitStatus(p, "configuration org.updraft.ledger.evm: account key file " + key + " does not exist");
            assertTrue(p.evm.contract().isEmpty());
            LedgerException early = assertThrows(LedgerException.class, () -> p.evm.anchored());
            assertTrue(early.getMessage().contains("account key file " + key + " does not exist"), early.getMessage());
            TrustException trust = assertThrows(TrustException.class, () -> p.trust.find(Ganache.PLATFORM));
            assertTrue(trust.getMessage().contains("registry contract is not deployed"), trust.getMessage());

            Platform.writeKey(key); // picked up at the next pass: no restart
            assertEquals(AnchorOutcome.State.NOT_ANCHORED, p.evm.awaitAnchored(event.index(), WAIT).state());
            assertEquals(Ganache.CHAIN_ID, p.evm.chainId());
            contract = contract(p);
            assertEquals(List.of(), p.evm.anchored());
        }

        Path otherChain = Files.createTempDirectory(chainDir, "other");
        try (Ganache other = Ganache.start(otherChain, 31337);
                Platform p = Platform.open(dir, Platform.settings(other.url(), 0, dir, "", 1000,
                        Duration.ofMinutes(10)))) {
            assertEquals(contract, p.evm.contract().orElseThrow(), "the contract of anchor.state");
            p.appendNoise(3);
            awaitStatus(p, "the node at " + other.url() + " serves chain 31337, this ledger's contract " + contract
                    + " is on chain 1337 (anchor.state): point rpc.url at a node of chain 1337, or set chain.id and"
                    + " contract.address for chain 31337; nothing is sent");
            assertEquals(0, p.evm.status().transactions());
            assertEquals("0x0", new PlainRpc(other.url()).call("eth_blockNumber", "[]").asText(), "no block mined");
        }
    }

    private static void awaitStatus(Platform p, String error) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!error.equals(p.evm.status().lastError()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(error, p.evm.status().lastError());
    }

    private static void awaitCheckpoint(String contract, long size) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            long count = PlainRpc.uint(rpc.ethCall(contract, "checkpointCount()"), 0).longValueExact();
            if (count > 0 && PlainRpc.uint(rpc.ethCall(contract, "checkpoint(uint256)", count - 1), 0)
                    .longValueExact() == size) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint of " + size + " events was anchored");
    }

    /** Event logs of the contract with topic 0 {@code signature}, counted by topic 1. */
    private static Map<String, Integer> countLogs(String contract, String signature) throws Exception {
        JsonNode logs = rpc.call("eth_getLogs", "[{\"address\":\"" + contract + "\",\"fromBlock\":\"0x0\","
                + "\"toBlock\":\"latest\",\"topics\":[\"" + PlainRpc.keccakHex(signature) + "\"]}]");
        Map<String, Integer> counts = new HashMap<>();
        for (JsonNode l : logs) {
            counts.merge(l.get("topics").get(1).asText(), 1, Integer::sum);
        }
        return counts;
    }
}
