package org.updraft.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.trust.TrustStore;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.update.SignedReport;
import org.updraft.storage.ipfs.internal.IpfsDaemon;

/**
 * Swapping the firmware store in a running platform, with a real js-ipfs node (started inside Karaf from
 * org.updraft.storage.ipfs's test-jar; installed by {@code .ci/ipfs}): a rollout goes on across the swap, the
 * node killed mid-rollout costs retries and nothing else, and what the shell publishes is what the node serves.
 *
 * <p>The CoAP transport keeps no image chunks in memory here ({@code cached.chunks = 0}), so every block a device
 * gets is read from the serving store at that moment: a block served during the swap or the outage went through
 * the store choice, not a cache.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class StoreSwapIT extends UpdraftTestSupport {

    private static final String IPFS_FEATURE = "updraft-storage-ipfs";
    private static final String SERVING = "(store.role=serving)";
    private static final String STORE_PID = "org.updraft.store";
    private static final String IPFS_PID = "org.updraft.storage.ipfs";
    /** The shell's demo on a quiet network: every device must end updated; blocks small enough to take a while. */
    private static final String DEMO = "updraft:demo --quiet --loss 0 --boot-failures 0 --offline 0 --timeout 300";

    @Override
    protected Option[] additionalOptions() {
        Path node = Path.of(System.getProperty("updraft.ipfs.node", "")).toAbsolutePath();
        return new Option[] {
            systemProperty(IpfsDaemon.NODE_DIR_PROPERTY).value(node.toString()),
            editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "cached.chunks", "0"),
            editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "unavailable.max.age", "3"),
            editConfigurationFilePut("etc/org.updraft.ledger.local.cfg", "fsync", "false"),
            editConfigurationFilePut("etc/org.updraft.storage.local.cfg", "fsync", "false") };
    }

    /**
     * A rollout running on the embedded store; the IPFS feature installed and made the preferred store while
     * devices download; every device finishes, nothing restarts. Releases published before the swap stay in the
     * local store and are served from there: the fallback ({@code fallback = local}, the default), not a copy.
     * Then the IPFS feature goes: the local store serves what it holds, and the platform names the release that
     * was published to IPFS only.
     */
    @Test
    public void aRolloutGoesOnWhileTheStoreIsSwappedToIpfsAndBack() throws Exception {
        IpfsDaemon daemon = node();
        try {
            configureIpfsStore(daemon.api());
            long coapService = serviceId("org.updraft.api.update.listener.UpdateListener", null);
            long releaseService = serviceId(ReleaseService.class.getName(), null);
            long servingService = serviceId(FirmwareStore.class.getName(), SERVING);
            RolloutService rollouts = waitForService(RolloutService.class);
            int before = rollouts.list().size();

            CompletableFuture<String> demo = CompletableFuture.supplyAsync(() -> executeCommand(
                    DEMO + " --devices 20 --image-size 64 --block-size 64", Duration.ofMinutes(5)));
            Rollout rollout = RolloutWatch.awaitDownloads(rollouts, before, demo);

            installFeatures(IPFS_FEATURE);
            waitForService(FirmwareStore.class, "(store.kind=ipfs)", SERVICE_TIMEOUT);
            setServing("ipfs", "local");
            int installedAtSwap = installed(rollouts.progress(rollout.id()));
            assertFalse("the swap happened while the rollout ran", demo.isDone());
            assertTrue("devices were still to be updated at the swap: " + installedAtSwap, installedAtSwap < 20);

            String out = demo.get(5, TimeUnit.MINUTES);
            assertTrue(out, out.contains("devices    20: 20 updated, 0 failed, 0 rolled back, 0 not updated"));
            assertEquals("the CoAP transport was not restarted", coapService,
                    serviceId("org.updraft.api.update.listener.UpdateListener", null));
            assertEquals("the release service was not restarted", releaseService,
                    serviceId(ReleaseService.class.getName(), null));
            assertEquals("the serving store stayed registered", servingService,
                    serviceId(FirmwareStore.class.getName(), SERVING));

            Release before_swap = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
            FirmwareStore local = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
            FirmwareStore ipfs = waitForService(FirmwareStore.class, "(store.kind=ipfs)", SERVICE_TIMEOUT);
            assertTrue(local.stat(before_swap.cid()).isPresent());
            assertFalse("served from the fallback, not copied", ipfs.stat(before_swap.cid()).isPresent());

            // a release published now goes to IPFS only
            Release onIpfs = publish("swap-" + System.nanoTime(), 100_000, CidOptions.DEFAULT);
            assertTrue(ipfs.stat(onIpfs.cid()).isPresent());
            assertFalse("published to the preferred store only", local.stat(onIpfs.cid()).isPresent());

            uninstallFeatures(IPFS_FEATURE);
            await("the IPFS store to go", SERVICE_TIMEOUT,
                    () -> serviceReferences(FirmwareStore.class.getName(), "(store.kind=ipfs)").isEmpty());
            FirmwareStore serving = waitForService(FirmwareStore.class, SERVING, SERVICE_TIMEOUT);
            try (InputStream in = serving.get(before_swap.cid())) {
                assertEquals("the local store serves what it holds", before_swap.size(), in.readAllBytes().length);
            }
            try {
                serving.get(onIpfs.cid()).close();
                fail("an object only IPFS held was served");
            } catch (org.updraft.api.store.StoreException e) {
                assertFalse("unavailable, not 'not found': devices retry",
                        e instanceof org.updraft.api.store.ObjectNotFoundException);
                assertTrue(e.getMessage(), e.getMessage().contains("preferred store ipfs is not running"));
            }
            String stat = executeCommand("updraft:store-stat");
            assertTrue(stat, stat.contains("Store ipfs: NOT RUNNING") && stat.contains("install feature "
                    + IPFS_FEATURE));
            assertTrue(stat, stat.contains("Store local: up, fallback"));
            assertTrue(stat, stat.contains("Releases that cannot be served now:"));
            assertTrue(stat, stat.contains(onIpfs.id() + " " + onIpfs.cid()));
            assertFalse(stat, stat.contains(before_swap.id() + " "));
            String status = executeCommandExpectingFailure("updraft:status");
            assertTrue(status, status.contains("not running: store ipfs (feature updraft-storage-ipfs)"));
            await("the log to name the release no store can serve", SERVICE_TIMEOUT, () -> karafLog()
                    .contains("cannot be served by the running stores") && karafLog().contains(onIpfs.id() + " ("
                            + onIpfs.cid() + ")"), () -> tail(karafLog()));
            assertTrue(karafLog().contains("Serving: firmware store local (fallback) serves the objects it holds; "
                    + "preferred store ipfs is not running (install feature updraft-storage-ipfs)"));

            // publishing fails closed: never silently to the fallback
            try {
                publish("closed-" + System.nanoTime(), 10_000, CidOptions.DEFAULT);
                fail("published while the preferred store is not running");
            } catch (ReleaseException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("install feature " + IPFS_FEATURE));
            }
        } finally {
            backToLocal();
        }
    }

    /**
     * A rollout served from IPFS only (its release was published there); the node is killed while devices
     * download and started again on the same repository: devices get 5.03, retry, and all finish; the ledger
     * holds each device's offer and final report once.
     */
    @Test
    public void devicesRetryThroughAnIpfsNodeOutageAndNothingIsRecordedTwice() throws Exception {
        IpfsDaemon daemon = node();
        try {
            configureIpfsStore(daemon.api());
            installFeatures(IPFS_FEATURE);
            waitForService(FirmwareStore.class, "(store.kind=ipfs)", SERVICE_TIMEOUT);
            setServing("ipfs", "local");
            RolloutService rollouts = waitForService(RolloutService.class);
            int before = rollouts.list().size();

            CompletableFuture<String> demo = CompletableFuture.supplyAsync(() -> executeCommand(
                    DEMO + " --devices 20 --image-size 64 --block-size 512", Duration.ofMinutes(5)));
            Rollout rollout = RolloutWatch.awaitDownloads(rollouts, before, demo);
            Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
            FirmwareStore local = waitForService(FirmwareStore.class, "(store.kind=local)", SERVICE_TIMEOUT);
            assertFalse("the release lives on IPFS only", local.stat(release.cid()).isPresent());

            daemon.kill();
            long servedAtKill = rollouts.progress(rollout.id()).bytesServed();
            Thread.sleep(5_000);
            long servedDuringOutage = rollouts.progress(rollout.id()).bytesServed() - servedAtKill;
            assertFalse("the rollout waited for the node", demo.isDone());
            daemon.restart();

            String out = demo.get(5, TimeUnit.MINUTES);
            assertTrue(out, out.contains("devices    20: 20 updated, 0 failed, 0 rolled back, 0 not updated"));
            assertTrue("the store said the node was unreachable", karafLog().contains("IPFS node unreachable"));
            assertTrue("no block was served while the node was down: " + servedDuringOutage,
                    servedDuringOutage < 20 * 512);

            Map<String, Integer> offers = new HashMap<>();
            for (LedgerEntry entry : ledgerEvents(EventTypes.ROLLOUT_OFFERED)) {
                RolloutEvents.Offered offered = (RolloutEvents.Offered) RolloutEvents.decode(entry.event().type(),
                        entry.event().payload());
                if (offered.rollout().equals(rollout.id())) {
                    offers.merge(offered.device(), 1, Integer::sum);
                }
            }
            Map<String, Integer> finals = new HashMap<>();
            for (LedgerEntry entry : ledgerEvents(EventTypes.DEVICE_REPORTED)) {
                SignedReport report = DeviceEvents.decodeReported(entry.event().payload());
                if (rollout.id().equals(report.report().rolloutId())
                        && report.report().state() == DeviceState.INSTALLED) {
                    finals.merge(report.report().deviceId(), 1, Integer::sum);
                }
            }
            assertEquals(offers.toString(), 20, offers.size());
            assertTrue("one offer per device: " + offers, offers.values().stream().allMatch(n -> n == 1));
            assertEquals(offers.keySet(), finals.keySet());
            assertTrue("one final report per device: " + finals, finals.values().stream().allMatch(n -> n == 1));
        } finally {
            backToLocal();
        }
    }

    /** What the shell publishes with the IPFS store preferred is what the node's own cat returns, CIDv0 and v1. */
    @Test
    public void aReleasePublishedThroughTheShellIsServedByTheNodeByteForByte() throws Exception {
        IpfsDaemon daemon = node();
        try {
            configureIpfsStore(daemon.api());
            installFeatures(IPFS_FEATURE);
            waitForService(FirmwareStore.class, "(store.kind=ipfs)", SERVICE_TIMEOUT);
            setServing("ipfs", "local");

            Path dir = Files.createTempDirectory("publish-ipfs-files");
            SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
            String vendor = "ipfs" + Long.toHexString(System.nanoTime());
            executeCommand("updraft:trust-add --vendor " + vendor + " " + key.did());
            HttpClient http = HttpClient.newHttpClient();
            int sequence = 1;
            for (CidOptions options : List.of(CidOptions.DEFAULT, CidOptions.V1)) {
                Path image = dir.resolve("fw-" + sequence + ".bin");
                byte[] bytes = new byte[700_000]; // three chunks: a tree, not a single block
                new Random(sequence).nextBytes(bytes);
                Files.write(image, bytes);
                Manifest manifest = manifest(key, vendor, "sensor", sequence, image, options);
                Path signed = Files.write(dir.resolve("fw-" + sequence + ".manifest"), ManifestCodec.sign(manifest,
                        key));
                String out = executeCommand("updraft:release-publish -q " + signed + " " + image);
                assertTrue(out, out.contains("Published " + manifest.releaseId()));

                HttpResponse<byte[]> cat = http.send(HttpRequest.newBuilder(daemon.api().resolve("/api/v0/cat?arg="
                        + manifest.cid())).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, cat.statusCode());
                assertArrayEquals("the node returns the published image, " + options, bytes, cat.body());
                sequence++;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        } finally {
            backToLocal();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static IpfsDaemon node;

    /**
     * The class's js-ipfs node, started at first use (about 20 s here) and stopped when Karaf's JVM ends: the
     * tests run one after another in this JVM, and Pax Exam runs each as a class of its own, so @AfterClass
     * would stop it after every test.
     */
    private static synchronized IpfsDaemon node() throws Exception {
        if (node == null) {
            Path dir = Files.createTempDirectory("swap-ipfs");
            IpfsDaemon started = IpfsDaemon.start(dir);
            // killed, not stopped: a graceful js-ipfs stop takes long enough to hold up the whole build, and the
            // repository is thrown away anyway
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.kill();
                    try (Stream<Path> all = Files.walk(dir)) {
                        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                } catch (Exception e) {
                    System.err.println("could not remove the test's IPFS node in " + dir + ": " + e);
                }
            }, "ipfs-node-stop"));
            node = started;
        }
        return node;
    }

    private void configureIpfsStore(URI api) throws Exception {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("api.url", api.toString());
        p.put("connect.timeout.ms", "1000");
        p.put("lookup.timeout.ms", "1000");
        p.put("retries", "1");
        p.put("retry.pause.ms", "100");
        configurationAdmin.getConfiguration(IPFS_PID, null).update(p);
    }

    /** Chooses the serving store through Configuration Admin, as config:property-set does. */
    private void setServing(String preferred, String fallback) throws Exception {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("preferred", preferred);
        p.put("fallback", fallback);
        configurationAdmin.getConfiguration(STORE_PID, null).update(p);
        waitForService(FirmwareStore.class, "(&" + SERVING + "(preferred=" + preferred + "))", SERVICE_TIMEOUT);
    }

    private void backToLocal() throws Exception {
        setServing("local", "local");
        if (isFeatureInstalled(IPFS_FEATURE)) {
            uninstallFeatures(IPFS_FEATURE);
        }
    }

    /** Waits for the demo's rollout and for its devices to be downloading. */
    private static int installed(RolloutProgress progress) {
        return progress.waves().stream().mapToInt(WaveProgress::installed).sum();
    }

    private Release publish(String deviceClass, int size, CidOptions options) throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        String vendor = "swap" + Long.toHexString(System.nanoTime());
        waitForService(TrustStore.class).register(key.did(), vendor, Set.of());
        Path image = Files.createTempFile("swap", ".bin");
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        Files.write(image, bytes);
        Manifest manifest = manifest(key, vendor, deviceClass, 1, image, options);
        try {
            return waitForService(ReleaseService.class).publish(ManifestCodec.sign(manifest, key), image,
                    deviceClass, null);
        } finally {
            Files.delete(image);
        }
    }

    private static Manifest manifest(SigningKey key, String vendor, String deviceClass, long sequence, Path image,
            CidOptions options) throws Exception {
        MeasuredImage measured = MeasuredImage.of(image, List.of(options));
        return new Manifest(vendor, deviceClass, null, "1.0." + sequence, sequence, measured.size(), measured.sha256(),
                measured.cid(options), null, Instant.now(), key.did());
    }

    private String karafLog() {
        try {
            return readKarafFile("data/log/karaf.log");
        } catch (Exception e) {
            throw new AssertionError("cannot read Karaf's log", e);
        }
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }
}
