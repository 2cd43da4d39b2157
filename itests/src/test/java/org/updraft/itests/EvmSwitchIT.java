package org.updraft.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import javax.security.auth.Subject;

import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.shell.api.console.Session;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.ledger.ReleaseAnchors;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.ledger.evm.internal.Ganache;
import org.updraft.ledger.evm.internal.PlainRpc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The README's three lines that switch a running platform's ledger and trust to an EVM chain, run as written against
 * a real chain (ganache, from org.updraft.ledger.evm's test-jar; installed by {@code .ci/evm}), with only the chain's
 * URL put in: a release published then is found on the contract by a client of the chain's own, a key revoked on
 * chain directly (by a governance account, bypassing the platform) stops publishing at once, and switching back
 * leaves a platform that publishes on its local ledger.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EvmSwitchIT extends UpdraftTestSupport {

    /** System property (set by the pom) naming the README whose lines are run. */
    private static final String README_PROPERTY = "updraft.readme";
    /** The README section holding the three lines, in the first fenced block after it. */
    private static final String SECTION = "### Switching the ledger and trust to an EVM chain";
    /** The chain URL the README's lines name, replaced by the test chain's. */
    private static final String README_URL = "http://127.0.0.1:8545";
    private static final String FEATURE = "updraft-ledger-evm";
    private static final String EVM_PID = "org.updraft.ledger.evm";
    /** The contract's log index of a change made on chain directly: type(uint64).max. */
    private static final BigInteger NOT_FROM_LOG = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    @Override
    protected Option[] additionalOptions() {
        String jackson = System.getProperty("jackson.version");
        return new Option[] {
            systemProperty(Ganache.TOOLS_PROPERTY).value(absolute(Ganache.TOOLS_PROPERTY)),
            systemProperty(README_PROPERTY).value(absolute(README_PROPERTY)),
            // PlainRpc, the test's own client of the chain, reads JSON with Jackson; Updraft does not install it
            mavenBundle("com.fasterxml.jackson.core", "jackson-annotations", jackson),
            mavenBundle("com.fasterxml.jackson.core", "jackson-core", jackson),
            mavenBundle("com.fasterxml.jackson.core", "jackson-databind", jackson),
            editConfigurationFilePut("etc/org.updraft.ledger.local.cfg", "fsync", "false"),
            editConfigurationFilePut("etc/org.updraft.storage.local.cfg", "fsync", "false") };
    }

    private static String absolute(String property) {
        return Path.of(System.getProperty(property, "")).toAbsolutePath().toString();
    }

    @Test
    public void theReadmesThreeLinesSwitchLedgerAndTrustToTheChain_whichAnswersForReleasesAndRevocations()
            throws Exception {
        List<String> lines = readmeLines();
        assertEquals("the README switches in three lines: " + lines, 3, lines.size());
        assertTrue(lines.get(1), lines.get(1).contains(README_URL));

        Path data = Path.of(System.getProperty("karaf.data"));
        Path work = Files.createDirectories(data.resolve("evm-switch-test"));
        Ganache chain = Ganache.start(work.resolve("chain"));
        // killed with Karaf's JVM should the test not get to stop it
        Thread killer = new Thread(chain::kill, "ganache-kill");
        Runtime.getRuntime().addShutdownHook(killer);
        try {
            // 1. switch to the chain: the account key where the README says, then its three lines
            Path key = Files.createDirectories(data.resolve("updraft/evm")).resolve("account.key");
            Files.writeString(key, Ganache.PLATFORM_KEY + "\n");
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            List<String> outputs = new ArrayList<>();
            for (String line : lines) {
                outputs.add(asAdmin(line.replace(README_URL, chain.url().toString())));
            }
            String switched = outputs.get(2);
            assertTrue(switched, switched.contains("ledger    evm     runs"));
            assertTrue(switched, switched.contains("trust     evm     runs"));

            // 2. a release published now is found on the contract, by a client that is not the platform's
            String vendor = "evm" + Long.toHexString(System.nanoTime());
            SigningKey signer = SigningKey.generate(KeyAlgorithm.ED25519);
            String added = executeCommand("updraft:trust-add --vendor " + vendor + " " + signer.did());
            assertTrue(added, added.contains(signer.did()));
            Path[] first = sign(work, signer, vendor, 1);
            String published = executeCommand("updraft:release-publish -q " + first[0] + " " + first[1]);
            String releaseId = vendor + "/sensor/1";
            assertTrue(published, published.contains("Published " + releaseId));

            ReleaseAnchors anchors = waitForService(ReleaseAnchors.class, "(ledger.kind=evm)", SERVICE_TIMEOUT);
            ReleaseAnchor anchor = awaitAnchor(anchors, releaseId);
            assertEquals(Ganache.CHAIN_ID, anchor.chainId());
            PlainRpc rpc = new PlainRpc(chain.url());
            // release(string) -> (signer, vendor, class, sequence, manifestDigest, cid, logIndex, blockNumber)
            byte[] onChain = rpc.ethCall(anchor.contract(), "release(string)", releaseId);
            assertEquals(signer.did(), PlainRpc.string(onChain, 0));
            assertEquals(vendor, PlainRpc.string(onChain, 1));
            assertEquals("sensor", PlainRpc.string(onChain, 2));
            assertEquals(1, PlainRpc.uint(onChain, 3).longValueExact());
            assertArrayEquals("the manifest's SHA-256", MessageDigest.getInstance("SHA-256").digest(
                    Files.readAllBytes(first[0])), PlainRpc.bytes32(onChain, 4));
            Release release = waitForService(ReleaseService.class).find(releaseId).orElseThrow();
            assertEquals(release.cid().toString(), PlainRpc.string(onChain, 5));
            assertEquals(release.ledgerIndex(), PlainRpc.uint(onChain, 6).longValueExact());
            assertEquals(anchor.blockNumber(), PlainRpc.uint(onChain, 7).longValueExact());
            JsonNode receipt = rpc.call("eth_getTransactionReceipt", "[\"" + anchor.transactionHash() + "\"]");
            JsonNode log = null;
            for (JsonNode l : receipt.get("logs")) {
                if (Long.decode(l.get("logIndex").asText()) == anchor.logIndex()) {
                    log = l;
                }
            }
            assertNotNull("the release's event in " + receipt, log);
            assertEquals(anchor.contract(), log.get("address").asText().toLowerCase());
            assertEquals(PlainRpc.keccakHex(releaseId), log.get("topics").get(1).asText());

            // the key went on chain with trust-add: active there
            assertEquals(1, PlainRpc.uint(rpc.ethCall(anchor.contract(), "manufacturer(string)", signer.did()), 0)
                    .intValueExact());

            // 3. the key revoked on chain directly, by the contract's governor: publishing is refused at once
            JsonNode revoked = rpc.sendFrom(Ganache.PLATFORM, anchor.contract(),
                    "revokeManufacturer(uint64,string,string)", NOT_FROM_LOG, signer.did(), "key leaked");
            assertEquals("0x1", revoked.get("status").asText());
            Path[] second = sign(work, signer, vendor, 2);
            String refused = executeCommandExpectingFailure("updraft:release-publish -q " + second[0] + " "
                    + second[1]);
            assertTrue(refused, refused.contains("revoked-signer") && refused.contains("key leaked"));
            String trustList = executeCommand("updraft:trust-list");
            assertTrue(trustList, trustList.contains("revoked"));
            String verified = executeCommand("updraft:ledger-verify --chain");
            assertTrue(verified, verified.contains("anchored checkpoints consistent with the local log"));

            // 4. switch back (a value that is no backend kind first: refused, nothing changed); with the EVM feature
            // and the chain gone, the platform publishes on its local ledger; a revocation made on chain directly is
            // not in that ledger, so (as the README says) it is recorded there too
            String bad = executeCommandExpectingFailure("updraft:backends --ledger local --trust Ledger");
            assertTrue(bad, bad.contains("--trust 'Ledger' is not a backend kind") && bad.contains("nothing was"
                    + " changed"));
            String unchanged = executeCommand("updraft:backends");
            assertTrue(unchanged, unchanged.contains("ledger    evm     runs"));
            String back = executeCommand("updraft:backends --ledger local --trust ledger");
            assertTrue(back, back.contains("ledger    local   runs") && back.contains("trust     ledger  runs"));
            // nothing of the EVM backends is needed any more: the feature and the chain go
            uninstallFeatures(FEATURE);
            chain.stop();
            executeCommand("updraft:trust-revoke --reason leaked-on-chain " + signer.did());
            String refusedAgain = executeCommandExpectingFailure("updraft:release-publish -q " + second[0] + " "
                    + second[1]);
            assertTrue(refusedAgain, refusedAgain.contains("revoked-signer"));
            SigningKey successor = SigningKey.generate(KeyAlgorithm.ED25519);
            executeCommand("updraft:trust-add --vendor " + vendor + " " + successor.did());
            Path[] third = sign(work, successor, vendor, 3);
            String again = executeCommand("updraft:release-publish -q " + third[0] + " " + third[1]);
            assertTrue(again, again.contains("Published " + vendor + "/sensor/3"));
            Release local = waitForService(ReleaseService.class).find(vendor + "/sensor/3").orElseThrow();
            Ledger selected = waitForService(Ledger.class, Ledger.SELECTED, SERVICE_TIMEOUT);
            assertEquals(local.id(), releaseAt(selected, local.ledgerIndex()));
        } finally {
            restore();
            chain.stop();
            Runtime.getRuntime().removeShutdownHook(killer);
        }
    }

    /**
     * Runs a command as an operator logged in to the console does: as a user with the roles of Karaf's admin group,
     * which its command ACLs require for {@code feature:install} (admin) and {@code config:property-set} (manager);
     * fails the test if the command fails.
     */
    private String asAdmin(String command) throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out);
        Subject admin = new Subject();
        for (String role : List.of("admin", "manager", "viewer", "systembundles")) { // Karaf's admingroup
            admin.getPrincipals().add(new RolePrincipal(role));
        }
        try {
            Object result = Subject.doAs(admin, (PrivilegedExceptionAction<Object>) () -> session.execute(command));
            if (result != null) {
                out.println(result);
            }
            return output.toString(StandardCharsets.UTF_8);
        } catch (PrivilegedActionException e) {
            throw new AssertionError("command '" + command + "' failed: " + e.getCause() + "\nit printed:\n"
                    + output.toString(StandardCharsets.UTF_8), e.getCause());
        } finally {
            session.close();
        }
    }

    /** The three lines of the README's fenced block after {@value #SECTION}. */
    private static List<String> readmeLines() throws IOException {
        List<String> readme = Files.readAllLines(Path.of(System.getProperty(README_PROPERTY)));
        int at = readme.indexOf(SECTION);
        assertTrue("README.md has a section '" + SECTION + "'", at >= 0);
        while (!readme.get(at).startsWith("```")) {
            at++;
        }
        List<String> lines = new ArrayList<>();
        for (at++; !readme.get(at).startsWith("```"); at++) {
            if (!readme.get(at).isBlank()) {
                lines.add(readme.get(at).strip());
            }
        }
        return lines;
    }

    /** Anchoring runs behind publishing: the release is on chain a moment later. */
    private static ReleaseAnchor awaitAnchor(ReleaseAnchors anchors, String releaseId) {
        AtomicReference<ReleaseAnchor> found = new AtomicReference<>();
        AtomicReference<String> last = new AtomicReference<>("");
        await(releaseId + " to be anchored", SERVICE_TIMEOUT, () -> {
            try {
                Optional<ReleaseAnchor> a = anchors.find(releaseId);
                a.ifPresent(found::set);
                return a.isPresent();
            } catch (LedgerException e) {
                last.set(e.getMessage());
                return false;
            }
        }, last::get);
        return found.get();
    }

    /** The release id of the release.published event at {@code index} of the ledger. */
    private static String releaseAt(Ledger ledger, long index) throws Exception {
        return org.updraft.core.event.ReleaseEvents.decodePublished(ledger.get(index).event().payload()).manifest()
                .releaseId();
    }

    /** Signs release {@code sequence} of {@code vendor/sensor}: the manifest and image files. */
    private static Path[] sign(Path dir, SigningKey key, String vendor, long sequence) throws Exception {
        Path image = dir.resolve("fw-" + sequence + ".bin");
        byte[] bytes = new byte[20_000];
        new Random(sequence).nextBytes(bytes);
        Files.write(image, bytes);
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest manifest = new Manifest(vendor, "sensor", null, "1.0." + sequence, sequence, measured.size(),
                measured.sha256(), measured.cid(CidOptions.DEFAULT), null, Instant.now(), key.did());
        Path signed = Files.write(dir.resolve("fw-" + sequence + ".manifest"), ManifestCodec.sign(manifest, key));
        return new Path[] { signed, image };
    }

    /** Puts Karaf back as the class found it: local backends, no EVM feature, no EVM configuration. */
    private void restore() throws Exception {
        executeCommand("updraft:backends --ledger local --trust ledger");
        if (isFeatureInstalled(FEATURE)) {
            uninstallFeatures(FEATURE);
        }
        Configuration evm = configurationAdmin.getConfiguration(EVM_PID, null);
        if (evm.getProperties() != null) {
            evm.delete();
        }
    }
}
