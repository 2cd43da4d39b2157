package com.acme.updraft.storage.mirror.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.options.extra.VMOption;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.util.tracker.ServiceTracker;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.CorruptObjectException;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;

/**
 * The mirror store inside the Updraft distribution it is written for: Pax Exam unpacks the distribution's archive,
 * starts it once for this class, installs the bundle this build made, and runs these tests inside Karaf, where
 * they use the store as Updraft does, through its {@code FirmwareStore} service.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MirrorStoreIT {

    private static final String BUNDLE = "com.acme.updraft.storage.mirror";
    /** What {@code ipfs add} prints for {@link #image(int, int)} of seed 2024 (checked with Debian's ipfs_cid). */
    private static final String CID_OF_IMAGE_2024 = "QmYQr4xCafrgy1pZSMAjnRWrujoys9wLuWLjh7hhHW1AEC";

    @Inject
    private BundleContext context;

    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    @Configuration
    public Option[] config() {
        String karafVersion = System.getProperty("karaf.version");
        List<Option> options = new ArrayList<>(List.of(
                karafDistributionConfiguration()
                        .frameworkUrl(new File(System.getProperty("updraft.distribution")).toURI().toString())
                        .name("Updraft")
                        .unpackDirectory(new File("target/exam"))
                        .useDeployFolder(false),
                configureConsole().ignoreLocalConsole(),
                // a busy build machine may take minutes to boot Karaf
                systemTimeout(Duration.ofMinutes(5).toMillis()),
                // free ports: the tests may run beside an Updraft that uses the default ones
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "bind.address", "127.0.0.1"),
                editConfigurationFilePut("etc/org.updraft.transport.coap.cfg", "port", Integer.toString(freeUdpPort())),
                // Pax Exam's own bundles come from the build's local Maven repository
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository",
                        System.getProperty("maven.repo.local")),
                // the plugin under test, as this build made it
                bundle(new File(System.getProperty("mirror.bundle")).toURI().toString())));
        // Pax Exam starts Karaf's JVM itself: it needs the flags bin/karaf passes on Java 17
        for (String flag : List.of("--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*")) {
            options.add(new VMOption(flag));
        }
        return options.toArray(new Option[0]);
    }

    @ProbeBuilder
    public TestProbeBuilder probe(TestProbeBuilder probe) {
        // the tests run in a bundle of their own: let them see the packages the container exports
        probe.setHeader(Constants.DYNAMICIMPORT_PACKAGE, "*");
        return probe;
    }

    @After
    public void closeTrackers() {
        trackers.forEach(ServiceTracker::close);
    }

    @Test
    public void anImageIsKeptAsAFileNamedByTheCidIpfsAddGivesIt() throws Exception {
        byte[] image = image(2024, 700_000);
        Cid cid = store().put(new ByteArrayInputStream(image)).cid();

        assertEquals(CID_OF_IMAGE_2024, cid.toString());
        assertArrayEquals(image, Files.readAllBytes(directory().resolve(cid.toString())));
        // three 256 KiB leaves and the root above them
        assertEquals(new ObjectStat(cid, 700_000, 4, true), store().stat(cid).orElseThrow());
        assertTrue(store().list().contains(store().stat(cid).orElseThrow()));
    }

    @Test
    public void anyRangeIsServedAndACidVersion1PutToo() throws Exception {
        byte[] image = image(7, 600_000);
        for (CidOptions options : List.of(CidOptions.DEFAULT, CidOptions.V1)) {
            Cid cid = store().put(new ByteArrayInputStream(image), options).cid();
            assertEquals(options.cidVersion(), cid.version());
            assertArrayEquals(image, read(cid, 0, -1));
            // across the boundary of the first two chunks
            assertArrayEquals(Arrays.copyOfRange(image, 262_000, 263_000), read(cid, 262_000, 1_000));
            // cut at the end, and past it
            assertArrayEquals(Arrays.copyOfRange(image, 599_990, 600_000), read(cid, 599_990, 100));
            assertEquals(0, read(cid, 700_000, 10).length);
        }
    }

    @Test
    public void aChangedByteInTheFileIsNeverServedAndAPutRepairsIt() throws Exception {
        byte[] image = image(99, 600_000);
        Cid cid = store().put(new ByteArrayInputStream(image)).cid();
        try (RandomAccessFile file = new RandomAccessFile(directory().resolve(cid.toString()).toFile(), "rw")) {
            file.seek(300_000);
            file.write(image[300_000] ^ 1);
        }

        // the first chunk is intact and still served; the second fails its hash check
        assertArrayEquals(Arrays.copyOfRange(image, 0, 1_000), read(cid, 0, 1_000));
        assertThrows(CorruptObjectException.class, () -> read(cid, 299_000, 2_000));

        store().put(new ByteArrayInputStream(image));
        assertArrayEquals(image, read(cid, 0, -1));
    }

    @Test
    public void aPutThatFailsHalfwayLeavesNothingBehind() throws Exception {
        FirmwareStore store = store(); // running, so its directory is there
        List<String> before = files();
        InputStream breaksOff = new InputStream() {
            private final InputStream image = new ByteArrayInputStream(image(5, 600_000));
            private int read;

            @Override
            public int read() throws IOException {
                if (++read > 400_000) {
                    throw new IOException("connection reset");
                }
                return image.read();
            }
        };

        StoreException failed = assertThrows(StoreException.class, () -> store.put(breaksOff));
        assertTrue(failed.getMessage(), failed.getMessage().contains("connection reset"));
        assertEquals(before, files());
    }

    @Test
    public void unpinnedImagesAreDeletedWhenTheStoreStartsAgainPinnedOnesStay() throws Exception {
        Cid kept = store().put(new ByteArrayInputStream(image(1, 300_000))).cid();
        Cid dropped = store().put(new ByteArrayInputStream(image(2, 300_000))).cid();
        store().unpin(dropped);
        assertFalse(store().stat(dropped).orElseThrow().pinned());
        assertFalse(store().list().stream().anyMatch(o -> o.cid().equals(dropped)));
        Cid absent = Cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
        assertThrows(ObjectNotFoundException.class, () -> store().pin(absent));

        Bundle bundle = Arrays.stream(context.getBundles()).filter(b -> b.getSymbolicName().equals(BUNDLE))
                .findFirst().orElseThrow();
        bundle.stop();
        bundle.start();

        assertTrue(store().stat(kept).orElseThrow().pinned());
        assertTrue(store().stat(dropped).isEmpty());
        assertFalse(Files.exists(directory().resolve(dropped.toString())));
        StoreStatus status = store().status();
        assertEquals("mirror", status.kind());
        assertTrue(status.detail(), status.available());
        assertEquals(store().list().size(), status.objects());
    }

    // ------------------------------------------------------------------------------------------------------

    /** The running mirror store, waiting for it while it starts (after the bundle starts, or again). */
    private FirmwareStore store() throws Exception {
        ServiceTracker<FirmwareStore, FirmwareStore> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + FirmwareStore.class.getName() + ")(store.kind=mirror))"),
                null);
        tracker.open();
        trackers.add(tracker);
        FirmwareStore store = tracker.waitForService(30_000);
        if (store == null) {
            throw new AssertionError("no FirmwareStore with store.kind=mirror within 30 s");
        }
        return store;
    }

    /** Where the store keeps its images by default: mirror/ in Karaf's data directory. */
    private static Path directory() {
        return Path.of(System.getProperty("karaf.data"), "mirror");
    }

    private byte[] read(Cid cid, long offset, long length) throws Exception {
        try (InputStream in = store().get(cid, offset, length)) {
            return in.readAllBytes();
        }
    }

    /** Every file under the store's directory but its lock. */
    private static List<String> files() throws IOException {
        try (Stream<Path> all = Files.walk(directory())) {
            return all.filter(Files::isRegularFile).map(p -> directory().relativize(p).toString())
                    .filter(name -> !name.equals(".lock")).sorted().toList();
        }
    }

    private static byte[] image(int seed, int size) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freeUdpPort() {
        try (DatagramSocket socket = new DatagramSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
