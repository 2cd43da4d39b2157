package org.updraft.transport.lorawan.internal;

import static org.updraft.transport.lorawan.internal.FuotaPlatform.await;
import static org.updraft.transport.lorawan.internal.FuotaPlatform.settled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.delta.BsdiffCodec;
import org.updraft.core.delta.Deltas;
import org.updraft.platform.internal.PlatformReleaseDeltas;
import org.updraft.testing.Configs;
import org.updraft.transport.lorawan.internal.LorawanTransport.Delivery;
import org.updraft.transport.lorawan.internal.LorawanTransport.Stage;
import org.updraft.transport.lorawan.internal.sim.ChirpstackRadio;
import org.updraft.transport.lorawan.internal.sim.VerifyingFirmware;

/**
 * Delta updates over LoRaWAN on the real platform (ledger, releases, the delta service's bsdiff patch recorded on the
 * ledger, rollout engine, update service, JDBC registry, local store), a real mosquitto and the simulated ChirpStack:
 * devices running the delta's base share a session whose block carries the offer and the patch, the others get the
 * full image, and every device rebuilds, verifies against the signed manifest and reports itself.
 */
class LorawanDeltaTest {

    private static final double SPEEDUP = 50;
    private static final int IMAGE = 16_000;
    /** Fewer fragments than the image alone fills at DR5 (219 bytes of data each, the offer not counted). */
    private static final int IMAGE_FRAGMENTS = IMAGE / 219;

    @TempDir
    Path dir;

    private RadioBench bench;
    private FuotaPlatform platform;
    private Map<String, VerifyingFirmware> firmware;
    private Random random;
    private byte[] base;
    private byte[] target;
    private Release one;
    private Release two;
    private Delta delta;

    @BeforeEach
    void start() throws Exception {
        bench = new RadioBench(dir, SPEEDUP);
        platform = bench.platform;
        firmware = bench.firmware;
        random = bench.random;
        base = new byte[IMAGE];
        random.nextBytes(base);
        target = changed(base);
        one = platform.publish(base, 1);
        two = platform.publish(target, 2);
        PlatformReleaseDeltas deltas = new PlatformReleaseDeltas(platform.ledger, platform.releases,
                platform.registry, Configs.defaults(PlatformReleaseDeltas.Config.class), platform.store);
        delta = deltas.publish(one.id(), two.id(), null);
    }

    @AfterEach
    void stop() throws Exception {
        bench.close();
    }

    /** 1% of the bytes replaced in runs of 64, as a rebuild changes a few functions. */
    private byte[] changed(byte[] image) {
        byte[] next = image.clone();
        for (int run = 0; run < image.length / 100 / 64 + 1; run++) {
            int at = random.nextInt(image.length - 64);
            for (int j = 0; j < 64; j++) {
                next[at + j] = (byte) random.nextInt();
            }
        }
        return next;
    }

    /** A device the registry knows as running {@code sequence}, whose flash holds {@code running}. */
    private String lorawanDevice(int n, String version, long sequence, byte[] running) throws Exception {
        String devEui = String.format("70b3d57ed1%06x", n);
        bench.device(devEui, FuotaPlatform.VENDOR, version, sequence, UnaryOperator.identity()).running(running);
        return devEui;
    }

    private ChirpstackRadio network() throws Exception {
        return bench.network();
    }

    private LorawanTransport transport(FirmwareStore store) {
        return bench.transport(Map.of(), platform.updates, store);
    }

    @Test
    void devicesOnTheBaseGetTheDeltaAndTheOthersTheFullImageAndAllVerifyTheRebuiltImage() throws Exception {
        List<String> onBase = List.of(lorawanDevice(1, "2.0.1", 1, base), lorawanDevice(2, "2.0.1", 1, base),
                lorawanDevice(3, "2.0.1", 1, base));
        byte[] older = new byte[IMAGE];
        random.nextBytes(older);
        // runs a release the platform has no delta from
        String noBase = lorawanDevice(4, "0.9.0", 0, older);
        platform.rollout(two);
        ChirpstackRadio net = network();

        LorawanTransport t = transport(platform.store);
        await("every device's report", Duration.ofSeconds(120), () -> settled(t, 4));

        assertEquals(List.of(), net.problems);
        for (String id : firmware.keySet()) {
            assertEquals(Stage.INSTALLED, t.deliveries().get(id).stage(), t.deliveries().toString());
            assertEquals(DeviceState.INSTALLED, firmware.get(id).state(), id + ": " + firmware.get(id).reason());
            assertArrayEquals(target, firmware.get(id).image(), id + " runs the release's image");
            Device d = platform.device(id);
            assertEquals(DeviceState.INSTALLED, d.state(), id);
            assertEquals(2, d.installedSequence(), id);
        }
        int full = net.nbFrag(noBase);
        // the delta devices' session carried the offer and the patch: far fewer fragments than the image needs
        for (String id : onBase) {
            int m = net.nbFrag(id);
            assertTrue(m > 0 && m * 3 < full, id + ": " + m + " fragments for the delta, " + full + " for the image");
        }
        System.out.println("LoRaWAN delta: a " + delta.patchSize() + "-byte patch of a " + two.size()
                + "-byte image; " + net.nbFrag(onBase.get(0)) + " fragments per delta device, " + full
                + " for the full image; " + net.fragments.get() + " fragments on air in all, fragment airtime "
                + net.fragmentAirtimeMicros.get() / 1e6 + " s");
    }

    @Test
    void theDeltaSessionGoesFirstThoughTheFullImageGroupIsLarger() throws Exception {
        // a unicast session costs its devices times its block: the one device of the delta waits 8 fragments' time
        // behind nobody, instead of 160 behind the two devices of the full image
        String onBase = lorawanDevice(1, "2.0.1", 1, base);
        List<String> full = List.of(lorawanDevice(2, "0.9.0", 0, new byte[0]), lorawanDevice(3, "0.9.0", 0,
                new byte[0]));
        platform.rollout(two);
        ChirpstackRadio net = network();

        LorawanTransport t = transport(platform.store);
        await("every device's report", Duration.ofSeconds(120), () -> settled(t, 3));

        Delivery first = t.deliveries().get(onBase);
        assertEquals(Stage.INSTALLED, first.stage(), t.deliveries().toString());
        for (String id : full) {
            Delivery later = t.deliveries().get(id);
            assertEquals(Stage.INSTALLED, later.stage(), t.deliveries().toString());
            assertTrue(first.at().isBefore(later.at()), "the delta device reported first: " + t.deliveries());
            assertTrue(net.nbFrag(id) >= IMAGE_FRAGMENTS);
        }
        assertTrue(net.nbFrag(onBase) * 3 < IMAGE_FRAGMENTS);
    }

    @Test
    void aPatchTheStoreCorruptsIsGivenUpAndTheFullImageFollows() throws Exception {
        List<String> onBase = List.of(lorawanDevice(1, "2.0.1", 1, base), lorawanDevice(2, "2.0.1", 1, base));
        platform.rollout(two);
        ChirpstackRadio net = network();
        long reportsBefore = platform.reportsOnLedger();

        LorawanTransport t = transport(new Corrupting(platform.store, delta.patch(), bytes -> {
            byte[] flipped = bytes.clone();
            for (int i = flipped.length / 3; i < flipped.length; i += 7) {
                flipped[i] ^= 0x5A;
            }
            return flipped;
        }));
        await("both devices installed", Duration.ofSeconds(90), () -> installed(t, onBase));

        assertEquals(List.of(), net.problems);
        for (String id : onBase) {
            assertTrue(platform.reportOnLedgerSays(id, "downloading", "delta-mismatch: "), id);
            assertEquals(DeviceState.INSTALLED, firmware.get(id).state(), firmware.get(id).reason());
            assertArrayEquals(target, firmware.get(id).image(), "the signed image, from the full block");
            assertEquals(2, platform.device(id).installedSequence());
            assertTrue(net.nbFrag(id) >= IMAGE_FRAGMENTS, "the image went in the second session");
        }
        // each device: downloading with delta-mismatch, then installed
        assertEquals(reportsBefore + 4, platform.reportsOnLedger());
    }

    @Test
    void aPatchThatAppliesButBuildsAnotherImageIsRefusedAndTheFullImageFollows() throws Exception {
        // a well-formed patch from the same base to an image nobody signed, of the recorded patch's size: only the
        // device's check of what it built against the signed manifest stands between it and that image
        byte[] forged = null;
        for (int attempt = 0; attempt < 500 && forged == null; attempt++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new BsdiffCodec().create(Deltas.channel(base), Deltas.channel(changed(base)), out, Long.MAX_VALUE);
            if (out.size() == delta.patchSize()) {
                forged = out.toByteArray();
            }
        }
        assertNotNull(forged, "no patch of " + delta.patchSize() + " bytes to another image");
        byte[] swapped = forged;
        String device = lorawanDevice(1, "2.0.1", 1, base);
        platform.rollout(two);
        network();

        LorawanTransport t = transport(new Corrupting(platform.store, delta.patch(), bytes -> swapped));
        await("the full image installed", Duration.ofSeconds(60), () -> installed(t, List.of(device)));
        // what the patch built was never installed: the device gave the patch up, and the image came after
        assertTrue(platform.reportOnLedgerSays(device, "downloading", "delta-mismatch: digest-mismatch"));
        assertArrayEquals(target, firmware.get(device).image());
        assertEquals(2, platform.device(device).installedSequence());
    }

    @Test
    void aDeviceWhoseFlashIsNotTheBaseItsRegistryEntryNamesRefusesThePatchAndGetsTheImage() throws Exception {
        String honest = lorawanDevice(1, "2.0.1", 1, base);
        byte[] other = base.clone();
        other[100] ^= 1;
        String drifted = lorawanDevice(2, "2.0.1", 1, other);
        platform.rollout(two);
        ChirpstackRadio net = network();

        LorawanTransport t = transport(platform.store);
        await("both devices' reports", Duration.ofSeconds(60), () -> settled(t, 2));

        assertEquals(Stage.INSTALLED, t.deliveries().get(honest).stage(), t.deliveries().toString());
        assertArrayEquals(target, firmware.get(honest).image());
        // it refused the patch for its base (a downloading report, delta-mismatch: base-mismatch), then the image came
        await("the drifted device installed", Duration.ofSeconds(60), () -> installed(t, List.of(drifted)));
        assertTrue(platform.reportOnLedgerSays(drifted, "downloading", "delta-mismatch: base-mismatch"));
        assertArrayEquals(target, firmware.get(drifted).image());
        assertEquals(2, platform.device(drifted).installedSequence());
        assertTrue(net.nbFrag(drifted) >= IMAGE_FRAGMENTS, "its second session carried the image");
    }

    @Test
    void aPatchTheStoreCannotProduceFallsBackToTheFullImage() throws Exception {
        List<String> onBase = List.of(lorawanDevice(1, "2.0.1", 1, base), lorawanDevice(2, "2.0.1", 1, base));
        platform.rollout(two);
        ChirpstackRadio net = network();

        LorawanTransport t = transport(new Corrupting(platform.store, delta.patch(),
                bytes -> Arrays.copyOf(bytes, bytes.length / 2)));
        await("both devices' reports", Duration.ofSeconds(60), () -> settled(t, 2));

        for (String id : onBase) {
            assertEquals(Stage.INSTALLED, t.deliveries().get(id).stage(), t.deliveries().toString());
            assertArrayEquals(target, firmware.get(id).image());
            assertTrue(net.nbFrag(id) >= IMAGE_FRAGMENTS, "the image was sent: " + net.nbFrag(id) + " fragments");
        }
    }

    /** The local store, but the patch comes back as {@code damage} makes it. */
    private static final class Corrupting implements FirmwareStore {
        private final FirmwareStore store;
        private final Cid patch;
        private final UnaryOperator<byte[]> damage;

        Corrupting(FirmwareStore store, Cid patch, UnaryOperator<byte[]> damage) {
            this.store = store;
            this.patch = patch;
            this.damage = damage;
        }

        @Override
        public StoredObject put(InputStream content, CidOptions options) throws StoreException {
            return store.put(content, options);
        }

        @Override
        public InputStream get(Cid cid, long offset, long length) throws StoreException {
            if (!cid.equals(patch)) {
                return store.get(cid, offset, length);
            }
            byte[] bytes;
            try (InputStream in = store.get(cid, offset, length)) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new StoreException(e.getMessage(), e);
            }
            return new ByteArrayInputStream(damage.apply(bytes));
        }

        @Override
        public Optional<ObjectStat> stat(Cid cid) throws StoreException {
            return store.stat(cid);
        }

        @Override
        public void pin(Cid cid) throws StoreException {
            store.pin(cid);
        }

        @Override
        public void unpin(Cid cid) throws StoreException {
            store.unpin(cid);
        }

        @Override
        public List<ObjectStat> list() throws StoreException {
            return store.list();
        }

        @Override
        public StoreStatus status() {
            return store.status();
        }
    }

    private static boolean installed(LorawanTransport t, List<String> ids) {
        return ids.stream().allMatch(id -> t.deliveries().get(id) != null
                && t.deliveries().get(id).stage() == Stage.INSTALLED);
    }

}
