package org.updraft.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;
import org.updraft.api.backend.BackendChoices;
import org.updraft.api.delta.Delta;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.delta.DeltaCodecs;
import org.updraft.core.delta.Deltas;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;

/**
 * Publishing through the shell, in the distribution, on the embedded defaults: a signed release is verified,
 * stored under its CID and recorded on the ledger with a proof a device can check; each kind of bad release
 * is refused with its own reason, and nothing of it is recorded.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReleasePublishIT extends UpdraftTestSupport {

    private Path work() throws Exception {
        return Files.createTempDirectory("publish-it");
    }

    private static Path firmware(Path dir, String name, int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    /** What `updraft sign` does, with the same library: the manifest of {@code image}, signed by {@code key}. */
    private static Path sign(Path dir, SigningKey key, Path image, String vendor, String deviceClass, long sequence,
            CidOptions cidOptions) throws Exception {
        MeasuredImage measured = MeasuredImage.of(image, List.of(cidOptions));
        Manifest manifest = new Manifest(vendor, deviceClass, null, "1.0." + sequence, sequence, measured.size(),
                measured.sha256(), measured.cid(cidOptions), null, Instant.now(), key.did());
        return Files.write(dir.resolve(vendor + "-" + deviceClass + "-" + sequence + "-" + key.did().substring(12, 20)
                + ".manifest"), ManifestCodec.sign(manifest, key));
    }

    @Test
    public void aSignedReleaseIsVerifiedStoredAndRecordedWithAProof() throws Exception {
        Path dir = work();
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        Path image = firmware(dir, "thermo.bin", 600_000, 1);
        Path manifest = sign(dir, key, image, "acme", "thermo-v2", 7, CidOptions.DEFAULT);

        String trusted = executeCommand("updraft:trust-add --vendor acme " + key.did());
        assertTrue(trusted, trusted.contains("Trusted " + key.did()));
        String published = executeCommand("updraft:release-publish " + manifest + " " + image);
        assertTrue(published, published.contains("Published acme/thermo-v2/7"));

        ReleaseService releases = waitForService(ReleaseService.class);
        Release release = releases.find("acme/thermo-v2/7").orElseThrow();
        Cid cid = MeasuredImage.of(image, List.of(CidOptions.DEFAULT)).cid(CidOptions.DEFAULT);
        assertEquals(cid, release.cid());
        assertTrue(published, published.contains(cid.toString()));

        FirmwareStore store = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
        try (InputStream in = store.get(cid)) {
            assertArrayEquals("the store serves the image byte for byte", Files.readAllBytes(image), in.readAllBytes());
        }

        // the ledger entry, and its proof checked as a device checks it: the log key, the checkpoint, the path
        Ledger ledger = waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT);
        LedgerEntry entry = ledger.get(release.ledgerIndex());
        assertEquals(EventTypes.RELEASE_PUBLISHED, entry.event().type());
        assertEquals(key.did(), entry.event().actor());
        Checkpoint checkpoint = CheckpointCodec.verify(ledger.checkpoint().envelope(), ledger.logKey());
        InclusionProof proof = ledger.inclusionProof(release.ledgerIndex(), checkpoint.treeSize());
        MerkleTree.verifyInclusion(proof, LedgerEventCodec.leafHash(entry.event()), checkpoint.rootHash());

        String list = executeCommand("updraft:release-list");
        assertTrue(list, list.contains("acme/thermo-v2/7") && list.contains(cid.toString()));
        String show = executeCommand("updraft:release-show acme/thermo-v2/7");
        assertTrue(show, show.contains(key.did()) && show.contains("#" + release.ledgerIndex()));
        String proofOutput = executeCommand("updraft:ledger-proof --release acme/thermo-v2/7");
        assertTrue(proofOutput, proofOutput.contains("Proof verified"));
        String tail = executeCommand("updraft:ledger-tail -n 5");
        assertTrue(tail, tail.contains("release.published") && tail.contains("acme/thermo-v2/7"));
        String audit = executeCommand("updraft:ledger-verify");
        assertTrue(audit, audit.contains("Ledger consistent"));
        String stat = executeCommand("updraft:store-stat " + cid);
        assertTrue(stat, stat.contains("pinned"));

        // the next release of the class, addressed as CIDv1 with raw leaves
        Path next = firmware(dir, "thermo-8.bin", 300_000, 2);
        Path nextManifest = sign(dir, key, next, "acme", "thermo-v2", 8, CidOptions.V1);
        String v1 = executeCommand("updraft:release-publish -q " + nextManifest + " " + next);
        assertTrue(v1, v1.contains("Published acme/thermo-v2/8"));
        Cid v1Cid = releases.find("acme/thermo-v2/8").orElseThrow().cid();
        assertEquals(1, v1Cid.version());
        assertTrue("the store holds the CIDv1 object", store.stat(v1Cid).isPresent());
    }

    /**
     * A release published with {@code --delta-from} gets its delta: made, stored, recorded, listed; the stored patch
     * rebuilds the new image from the old one as a device would; a refused delta says the release is published.
     */
    @Test
    public void aReleasePublishedWithDeltaFromGetsItsPatchStoredAndRecorded() throws Exception {
        Path dir = work();
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        executeCommand("updraft:trust-add --vendor initech " + key.did());
        byte[] old = new byte[300_000];
        new Random(11).nextBytes(old);
        byte[] next = old.clone();
        Random changes = new Random(12);
        for (int run = 0; run < 50; run++) { // 1% of the image in runs of 64 bytes, as a rebuild changes functions
            int at = changes.nextInt(next.length - 64);
            for (int i = 0; i < 64; i++) {
                next[at + i] = (byte) changes.nextInt();
            }
        }
        Path oldImage = Files.write(dir.resolve("valve-1.bin"), old);
        Path nextImage = Files.write(dir.resolve("valve-2.bin"), next);
        executeCommand("updraft:release-publish -q " + sign(dir, key, oldImage, "initech", "valve", 1,
                CidOptions.DEFAULT) + " " + oldImage);

        String published = executeCommand("updraft:release-publish -q --delta-from initech/valve/1 "
                + sign(dir, key, nextImage, "initech", "valve", 2, CidOptions.DEFAULT) + " " + nextImage);
        assertTrue(published, published.contains("Published initech/valve/2"));
        assertTrue(published, published.contains("Delta initech/valve/1 -> initech/valve/2 (bsdiff)"));

        ReleaseDeltas deltas = waitForService(ReleaseDeltas.class);
        List<Delta> recorded = deltas.to("initech/valve/2");
        assertEquals(1, recorded.size());
        Delta d = recorded.get(0);
        assertTrue("a 1% change: " + d.patchSize(), d.patchSize() < old.length / 5);
        Ledger ledger = waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT);
        assertEquals(EventTypes.DELTA_PUBLISHED, ledger.get(d.ledgerIndex()).event().type());

        FirmwareStore store = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
        byte[] patch;
        try (InputStream in = store.get(d.patch())) {
            patch = in.readAllBytes();
        }
        ByteArrayOutputStream rebuilt = new ByteArrayOutputStream();
        Deltas.apply(DeltaCodecs.find("bsdiff").orElseThrow(), Deltas.channel(old), d.fromSha256(),
                Deltas.channel(patch), rebuilt, next.length, d.applyMemory());
        assertArrayEquals("the stored patch rebuilds the new image", next, rebuilt.toByteArray());

        String list = executeCommand("updraft:delta-list initech/valve/2");
        assertTrue(list, list.contains("initech/valve/1") && list.contains(d.patch().toString()));
        String show = executeCommand("updraft:release-show initech/valve/2");
        assertTrue(show, show.contains("from initech/valve/1: bsdiff"));
        String tail = executeCommand("updraft:ledger-tail -n 3");
        assertTrue(tail, tail.contains("delta.published") && tail.contains("initech/valve/1 -> initech/valve/2"));

        // a base that is not published: the release is, the delta is refused and the command says both
        Path third = Files.write(dir.resolve("valve-3.bin"), old);
        String refused = executeCommandExpectingFailure("updraft:release-publish -q --delta-from initech/valve/9 "
                + sign(dir, key, third, "initech", "valve", 3, CidOptions.DEFAULT) + " " + third);
        assertTrue(refused, refused.contains("release initech/valve/3 is published, but a delta was refused "
                + "(unknown-release): release initech/valve/9 is not published"));
        assertTrue(waitForService(ReleaseService.class).find("initech/valve/3").isPresent());
        assertEquals(1, deltas.list().stream().filter(x -> x.toRelease().startsWith("initech/")).count());
    }

    @Test
    public void eachBadReleaseIsRefusedWithItsOwnReasonAndNothingIsRecorded() throws Exception {
        Path dir = work();
        SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.P256);
        SigningKey stranger = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey leaked = SigningKey.generate(KeyAlgorithm.ED25519);
        executeCommand("updraft:trust-add --vendor globex --classes cam-v1 " + vendorKey.did());
        executeCommand("updraft:trust-add --vendor globex " + leaked.did());
        String revoked = executeCommand("updraft:trust-revoke --reason 'key leaked' " + leaked.did());
        assertTrue(revoked, revoked.contains("Revoked"));
        String trustList = executeCommand("updraft:trust-list");
        assertTrue(trustList, trustList.contains("revoked") && trustList.contains("key leaked"));

        Path image = firmware(dir, "cam.bin", 400_000, 3);
        executeCommand("updraft:release-publish -q " + sign(dir, vendorKey, image, "globex", "cam-v1", 5,
                CidOptions.DEFAULT) + " " + image);

        Ledger ledger = waitForService(Ledger.class, "(ledger.kind=local)", SERVICE_TIMEOUT);
        FirmwareStore store = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
        long events = ledger.size();
        int releases = waitForService(ReleaseService.class).list().size();

        Path tampered = firmware(dir, "cam-tampered.bin", 400_000, 3);
        byte[] bytes = Files.readAllBytes(tampered);
        bytes[123_456] ^= 1;
        Files.write(tampered, bytes);
        Path good6 = sign(dir, vendorKey, image, "globex", "cam-v1", 6, CidOptions.DEFAULT);
        assertRefused(good6 + " " + tampered, "digest-mismatch", "SHA-256 does not match");
        assertFalse("the tampered image was not stored",
                store.stat(MeasuredImage.of(tampered, List.of(CidOptions.DEFAULT)).cid(CidOptions.DEFAULT))
                        .isPresent());

        assertRefused(sign(dir, stranger, image, "globex", "cam-v1", 6, CidOptions.DEFAULT) + " " + image,
                "untrusted-signer", "is not a trusted manufacturer key");
        assertRefused(sign(dir, leaked, image, "globex", "cam-v1", 6, CidOptions.DEFAULT) + " " + image,
                "revoked-signer", "key leaked");
        assertRefused(sign(dir, vendorKey, image, "globex", "cam-v1", 4, CidOptions.DEFAULT) + " " + image,
                "sequence-not-newer", "not greater than 5");
        assertRefused(sign(dir, vendorKey, image, "globex", "doorbell-v1", 6, CidOptions.DEFAULT) + " " + image,
                "class-not-authorized", "not for 'doorbell-v1'");
        assertRefused("--class doorbell-v1 " + good6 + " " + image, "wrong-class", "not 'doorbell-v1'");
        Path garbage = Files.writeString(dir.resolve("garbage.manifest"), "not a manifest");
        assertRefused(garbage + " " + image, "malformed-manifest", "not a signed Updraft manifest");

        assertEquals("no refused release reached the ledger", events, ledger.size());
        assertEquals(releases, waitForService(ReleaseService.class).list().size());
        String published = executeCommand("updraft:release-publish -q " + good6 + " " + image);
        assertTrue("the genuine release still publishes after all that: " + published,
                published.contains("Published globex/cam-v1/6"));
    }

    /**
     * What an operator's script sees through bin/client, and what karaf.log keeps: a refusal (bad input) is one line
     * for the user, exit status 1, at most one line in the log and never a stack trace; a bug is logged whole.
     */
    @Test
    public void aRefusalIsOneLineAndExitStatusOneWhileABugIsLoggedWithItsStackTrace() throws Exception {
        Path dir = work();
        SigningKey stranger = SigningKey.generate(KeyAlgorithm.ED25519);
        Path image = firmware(dir, "lock.bin", 50_000, 4);
        Path untrusted = sign(dir, stranger, image, "initech", "lock-v1", 1, CidOptions.DEFAULT);
        Path malformed = Files.writeString(dir.resolve("malformed.manifest"), "not a manifest");

        for (Path manifest : List.of(untrusted, malformed)) {
            long logged = karafLogLength();
            Ssh.Result result = ssh("updraft:release-publish -q " + manifest + " " + image);
            String log = karafLogSince(logged);
            String reason = manifest == untrusted ? "untrusted-signer" : "malformed-manifest";
            assertEquals("exit status for scripts: " + result, 1, result.status());
            assertTrue(result.toString(), result.output().contains("release refused (" + reason + ")"));
            assertEquals("one line for the user: " + result, 1, result.output().strip().lines().count());
            assertNoStackTrace(log);
            long lines = log.lines().filter(l -> l.contains(reason)).count();
            assertTrue("at most one line in karaf.log, not " + lines + ":\n" + log, lines <= 1);
            assertFalse(log, log.contains("| ERROR |"));
        }

        // a bug (a backend that throws what no API declares) is not a refusal: Karaf logs it with its stack trace
        ServiceRegistration<TrustStore> broken = bundleContext.registerService(TrustStore.class, new BrokenTrust(),
                new Hashtable<>(Map.of(TrustStore.KIND, "itest-broken")));
        org.osgi.service.cm.Configuration backends = configurationAdmin.getConfiguration("org.updraft.backends", null);
        Dictionary<String, Object> before = backends.getProperties();
        try {
            Hashtable<String, Object> brokenTrust = new Hashtable<>();
            for (String key : Collections.list(before.keys())) {
                brokenTrust.put(key, before.get(key));
            }
            brokenTrust.put("trust", "itest-broken");
            backends.update(brokenTrust);
            BackendChoices choices = waitForService(BackendChoices.class);
            await("the trust backend to switch", SERVICE_TIMEOUT, () -> choices.choices().stream()
                    .anyMatch(c -> c.capability().equals("trust") && c.kind().equals("itest-broken") && c.running()));
            long logged = karafLogLength();
            Ssh.Result result = ssh("updraft:trust-list");
            String log = karafLogSince(logged);
            assertEquals(result.toString(), 1, result.status());
            assertTrue(result.toString(), result.output().contains(BrokenTrust.BUG));
            assertTrue("the bug is logged as an error: " + log, log.contains("| ERROR |")
                    && log.contains("Exception caught while executing command"));
            assertTrue("with its stack trace, down to the faulty code: " + log, log.contains(
                    "java.lang.IllegalStateException: " + BrokenTrust.BUG) && log.contains("\tat "
                            + BrokenTrust.class.getName() + ".list("));

            // status goes on past a backend that fails, and names a chosen backend that does not run
            String status = executeCommand("updraft:status");
            assertTrue(status, status.contains("trust     itest-broken: running")
                    && status.contains("unavailable: " + BrokenTrust.BUG) && status.contains("registry  jdbc: running")
                    && status.contains("releases "));
            Hashtable<String, Object> absentTrust = new Hashtable<>(brokenTrust);
            absentTrust.put("trust", "itest-absent");
            backends.update(absentTrust);
            await("the trust backend to switch", SERVICE_TIMEOUT, () -> choices.choices().stream()
                    .anyMatch(c -> c.capability().equals("trust") && c.kind().equals("itest-absent")));
            String notRunning = executeCommandExpectingFailure("updraft:status");
            assertTrue(notRunning, notRunning.contains("not running: trust itest-absent (feature "
                    + "updraft-ledger-itest-absent)"));
        } finally {
            backends.update(before);
            broken.unregister();
        }
        // configuration updates are delivered asynchronously: wait for the restored choice before asking status
        BackendChoices restored = waitForService(BackendChoices.class);
        await("the trust backend to switch back", SERVICE_TIMEOUT, () -> restored.choices().stream()
                .anyMatch(c -> c.capability().equals("trust") && c.kind().equals("ledger") && c.running()));
        String status = executeCommand("updraft:status");
        assertTrue(status, status.contains("trust     ledger: running"));
    }

    /** A trust backend with a bug: list() throws an exception no API declares. */
    static final class BrokenTrust implements TrustStore {
        static final String BUG = "itest: a bug in a trust backend";

        @Override
        public TrustedKey register(String did, String vendor, Set<String> deviceClasses, String actor) {
            throw new UnsupportedOperationException();
        }

        @Override
        public TrustedKey rotate(String did, String successorDid, byte[] proof, String actor) {
            throw new UnsupportedOperationException();
        }

        @Override
        public TrustedKey revoke(String did, String reason, String actor) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<TrustedKey> find(String did) {
            return Optional.empty();
        }

        @Override
        public List<TrustedKey> list() {
            throw new IllegalStateException(BUG);
        }
    }

    private static void assertNoStackTrace(String log) {
        for (String line : log.lines().toList()) {
            assertFalse("a stack trace in karaf.log:\n" + log, line.startsWith("\tat ") || line.startsWith("Caused by:")
                    || line.contains("Exception caught while executing command"));
        }
    }

    private long karafLogLength() throws Exception {
        return Files.size(Path.of(System.getProperty("karaf.base"), "data/log/karaf.log"));
    }

    /** What karaf.log got since it was {@code length} bytes long. */
    private String karafLogSince(long length) throws Exception {
        byte[] all = Files.readAllBytes(Path.of(System.getProperty("karaf.base"), "data/log/karaf.log"));
        return new String(all, (int) Math.min(length, all.length), (int) Math.max(0, all.length - length),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Runs {@code command} over Karaf's SSH server as bin/client does: an exec channel, its exit status. */
    private Ssh.Result ssh(String command) throws Exception {
        org.osgi.service.cm.Configuration shell = configurationAdmin.getConfiguration("org.apache.karaf.shell", null);
        int port = Integer.parseInt(String.valueOf(shell.getProperties().get("sshPort")).trim());
        return Ssh.exec("127.0.0.1", port, SSH_USER, SSH_PASSWORD, command, COMMAND_TIMEOUT);
    }

    @Override
    protected Option[] additionalOptions() {
        // the distribution ships with no user: one for the SSH client, in the admin group as updraft-admin makes it
        return new Option[] {editConfigurationFilePut("etc/users.properties", SSH_USER,
                SSH_PASSWORD + ",_g_:admingroup")};
    }

    private static final String SSH_USER = "itest";
    // fixed: the options are built outside the container and this class is loaded again inside it; the test
    // container listens on loopback only
    private static final String SSH_PASSWORD = "itest-refusals";

    private void assertRefused(String arguments, String reason, String explanation) {
        String error = executeCommandExpectingFailure("updraft:release-publish -q " + arguments);
        assertTrue("expected '" + reason + "' in: " + error, error.contains("(" + reason + ")"));
        assertTrue("expected '" + explanation + "' in: " + error, error.contains(explanation));
    }
}
