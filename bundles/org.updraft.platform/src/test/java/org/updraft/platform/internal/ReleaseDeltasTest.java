package org.updraft.platform.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.store.CidOptions;
import org.updraft.core.delta.DeltaCodecs;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.registry.jdbc.internal.SchemaMigrations;
import org.updraft.registry.jdbc.internal.SqlDeviceRegistry;
import org.updraft.testing.Configs;
import org.updraft.testing.ForwardingLedger;

/**
 * Deltas between published releases, on a real file ledger, the release service and an H2 registry: a delta is
 * made, checked, stored and recorded once; Debian's {@code bspatch} rebuilds the target from the stored patch; the
 * profile chooses codec and memory; the registry's devices name the bases when configured to; and every refusal
 * leaves neither a stored patch nor a ledger event.
 */
class ReleaseDeltasTest {

    private static final int SIZE = 200_000;

    @TempDir
    Path dir;

    private FileLedger file;
    private boolean refuseAppends;
    private MemoryStore store;
    private PlatformReleaseService releases;
    private SqlDeviceRegistry registry;
    private SigningKey vendor;
    private final Map<String, Object> config = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        file = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        LedgerTrustStore trust = new LedgerTrustStore(file);
        vendor = SigningKey.generate(KeyAlgorithm.ED25519);
        trust.register(vendor.did(), "acme", Set.of());
        store = new MemoryStore("local");
        releases = new PlatformReleaseService(file, trust, store);
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:file:" + dir.resolve("registry").resolve("devices"));
        registry = new SqlDeviceRegistry(h2, "h2 (test)", SchemaMigrations.shipped(), true);
        assertTrue(registry.open(), registry.problem());
    }

    @AfterEach
    void stop() {
        file.close();
    }

    private PlatformReleaseDeltas deltas() {
        ForwardingLedger ledger = new ForwardingLedger(file) {
            @Override
            public AppendReceipt append(LedgerEvent event) throws LedgerException {
                if (refuseAppends) {
                    throw new LedgerException("disk full");
                }
                return super.append(event);
            }
        };
        return new PlatformReleaseDeltas(ledger, releases, registry,
                Configs.of(PlatformReleaseDeltas.Config.class, config), store);
    }

    @Test
    void aDeltaIsStoredAndRecordedOnceAndBspatchRebuildsTheTargetFromIt() throws Exception {
        Release one = publish(1, null, base());
        Release two = publish(2, null, changed(base(), 0.01, 2));
        PlatformReleaseDeltas deltas = deltas();
        long events = file.size();

        Delta d = deltas.publish(one.id(), two.id(), null);
        assertEquals("bsdiff", d.codec(), "the configured default for a class without a profile");
        assertEquals(one.id(), d.fromRelease());
        assertArrayEquals(one.sha256(), d.fromSha256());
        assertArrayEquals(two.sha256(), d.toSha256());
        assertTrue(d.patchSize() < SIZE / 5, "a 1% change patches in under 20% of the image: " + d.patchSize());
        assertTrue(d.applyMemory() <= 4 << 20, "within the default apply memory: " + d.applyMemory());
        assertEquals(events + 1, file.size());
        LedgerEvent event = file.get(d.ledgerIndex()).event();
        assertEquals(EventTypes.DELTA_PUBLISHED, event.type());
        assertEquals(d.label(), DeltaEvents.decodePublished(event.payload(), d.ledgerIndex()).label());

        // the stored patch is a BSDIFF40 patch Debian's bspatch applies
        byte[] patch = store.objects.get(d.patch());
        assertEquals(d.patchSize(), patch.length);
        Path old = Files.write(dir.resolve("old.bin"), base());
        Path patchFile = Files.write(dir.resolve("patch.bsdiff"), patch);
        Path rebuilt = dir.resolve("new.bin");
        Process bspatch = new ProcessBuilder("bspatch", old.toString(), rebuilt.toString(), patchFile.toString())
                .redirectErrorStream(true).start();
        assertTrue(bspatch.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, bspatch.exitValue(), new String(bspatch.getInputStream().readAllBytes()));
        assertArrayEquals(changed(base(), 0.01, 2), Files.readAllBytes(rebuilt));

        // asked again: the recorded delta, nothing new stored or recorded
        int objects = store.objects.size();
        assertEquals(d, deltas.publish(one.id(), two.id(), "bsdiff"));
        assertEquals(events + 1, file.size());
        assertEquals(objects, store.objects.size());
        assertEquals(List.of(d), deltas.to(two.id()));
        assertEquals(List.of(d), deltas().list(), "replayed from the ledger by a new instance");
        assertEquals(d.ledgerIndex(), deltas().list().get(0).ledgerIndex());
    }

    @Test
    void theProfileChoosesTheCodecAndTheMemoryItsDevicesHave() throws Exception {
        Release one = publish(1, "mcu", base());
        Release two = publish(2, "mcu", changed(base(), 0.01, 2));
        PlatformReleaseDeltas deltas = deltas();
        long budget = DeltaCodecs.find("vcdiff").orElseThrow().minimumApplyMemory() * 2;
        deltas.bindProfile(new LimitsProfile("mcu", new ProfileLimits(1 << 20, 4, 512, List.of("vcdiff"), budget)),
                Map.of(DeviceProfile.ID, "mcu"));

        ReleaseException refused = assertThrows(ReleaseException.class,
                () -> deltas.publish(one.id(), two.id(), "bsdiff"));
        assertEquals("no-codec", refused.reason());
        assertEquals("the devices of acme/thermo accept vcdiff, not bsdiff", refused.getMessage());

        Delta d = deltas.publish(one.id(), two.id(), null);
        assertEquals("vcdiff", d.codec());
        assertTrue(d.applyMemory() <= budget, d.applyMemory() + " > " + budget);
    }

    @Test
    void configuredSoTheReleasesRegisteredDevicesRunAreTheBases() throws Exception {
        Release one = publish(1, null, base());
        Release two = publish(2, null, changed(base(), 0.01, 2));
        Release three = publish(3, null, changed(changed(base(), 0.01, 2), 0.01, 3));
        registry.register(device("dev-1", 1));
        registry.register(device("dev-2", 2));
        registry.register(device("dev-3", 2));
        registry.register(device("dev-9", 9)); // a sequence never published: skipped

        assertEquals(List.of(), deltas().publishFor(three.id(), List.of(), null), "off by default");

        config.put("from.installed", true);
        List<Delta> made = deltas().publishFor(three.id(), List.of(), null);
        assertEquals(List.of(one.id(), two.id()), made.stream().map(Delta::fromRelease).toList());
        assertEquals(2, deltas().to(three.id()).size());
        // a base named and found among the devices gets one delta
        assertEquals(2, deltas().publishFor(three.id(), List.of(two.id()), null).size());
    }

    @Test
    void refusalsNameTheirReasonAndLeaveNothingBehind() throws Exception {
        Release one = publish(1, null, base());
        Release two = publish(2, null, changed(base(), 0.01, 2));
        Release same = publish(3, null, changed(base(), 0.01, 2));
        Release unrelated = publish(4, null, random(4, SIZE));
        PlatformReleaseDeltas deltas = deltas();
        long events = file.size();
        int objects = store.objects.size();

        assertRefused("unknown-release", "release acme/thermo/99 is not published",
                () -> deltas.publish("acme/thermo/99", two.id(), null));
        assertRefused("not-older", "release acme/thermo/2 is not older than acme/thermo/1",
                () -> deltas.publish(two.id(), one.id(), null));
        assertRefused("same-image", "releases acme/thermo/2 and acme/thermo/3 have the same image: a device running "
                + "one needs no download for the other", () -> deltas.publish(two.id(), same.id(), null));
        assertRefused("no-codec", "the devices of acme/thermo accept bsdiff, not xdelta",
                () -> deltas.publish(one.id(), two.id(), "xdelta"));
        assertRefused("not-smaller", "the bsdiff patch acme/thermo/1 -> acme/thermo/4 would be no smaller than the "
                + "200000-byte image: devices get the image", () -> deltas.publish(one.id(), unrelated.id(), null));
        config.put("max.image.bytes", SIZE - 1L);
        assertRefused("too-large", "no delta acme/thermo/1 -> acme/thermo/2: images above 199999 bytes get none "
                + "(max.image.bytes of org.updraft.delta)", () -> deltas().publish(one.id(), two.id(), null));
        config.remove("max.image.bytes");

        refuseAppends = true;
        assertRefused("ledger-failed", "the ledger did not record the delta acme/thermo/1 -> acme/thermo/2: disk full",
                () -> deltas().publish(one.id(), two.id(), null));
        refuseAppends = false;

        assertEquals(events, file.size(), "nothing recorded");
        assertEquals(objects, store.objects.size(), "no patch left stored");
        assertTrue(deltas.list().isEmpty());
    }

    @Test
    void anImageTheStoreReturnsAlteredMakesNoDelta() throws Exception {
        Release one = publish(1, null, base());
        Release two = publish(2, null, changed(base(), 0.01, 2));
        store.objects.get(one.cid())[100] ^= 1;
        long events = file.size();
        ReleaseException e = assertThrows(ReleaseException.class, () -> deltas().publish(one.id(), two.id(), null));
        assertEquals("store-failed", e.reason());
        assertEquals("the store returned an image of acme/thermo/1 that does not hash to its manifest's SHA-256",
                e.getMessage());
        assertEquals(events, file.size());
        assertFalse(store.objects.keySet().stream().anyMatch(c -> !c.equals(one.cid()) && !c.equals(two.cid())));
    }

    private static void assertRefused(String reason, String message, Publishing call) {
        ReleaseException e = assertThrows(ReleaseException.class, call::run);
        assertEquals(reason, e.reason());
        assertEquals(message, e.getMessage());
    }

    @FunctionalInterface
    private interface Publishing {
        void run() throws Exception;
    }

    private Device device(String id, long sequence) {
        return new Device(id, SigningKey.generate(KeyAlgorithm.ED25519).did(), "acme", "thermo", null, Set.of(),
                null, "2.0." + sequence, sequence, DeviceState.INSTALLED, null, Instant.now());
    }

    private static byte[] base() {
        return random(1, SIZE);
    }

    private static byte[] random(long seed, int size) {
        byte[] image = new byte[size];
        new Random(seed).nextBytes(image);
        return image;
    }

    /** {@code share} of the bytes replaced, in runs of 64, as a firmware rebuild changes scattered functions. */
    private static byte[] changed(byte[] image, double share, long seed) {
        byte[] next = image.clone();
        Random random = new Random(seed);
        int runs = (int) (image.length * share / 64);
        for (int i = 0; i < runs; i++) {
            int at = random.nextInt(image.length - 64);
            for (int j = 0; j < 64; j++) {
                next[at + j] = (byte) random.nextInt();
            }
        }
        return next;
    }

    private Release publish(long sequence, String profile, byte[] image) throws Exception {
        Path path = Files.write(dir.resolve("image-" + sequence + ".bin"), image);
        Manifest m = new Manifest("acme", "thermo", profile, "2.0." + sequence, sequence, image.length,
                MessageDigest.getInstance("SHA-256").digest(image),
                UnixFsImporter.cid(new ByteArrayInputStream(image), CidOptions.DEFAULT).cid(), null, Instant.now(),
                vendor.did());
        if (profile != null) {
            releases.bindProfile(new LimitsProfile(profile, null), Map.of(DeviceProfile.ID, profile));
        }
        return releases.publish(ManifestCodec.sign(m, vendor), path, null, null);
    }

    /** A profile that accepts every image and states the given limits for every class. */
    private record LimitsProfile(String id, ProfileLimits limits) implements DeviceProfile {
        @Override
        public void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease before) {
        }

        @Override
        public Optional<ProfileLimits> limits(String deviceClass) {
            return Optional.ofNullable(limits);
        }
    }
}
