package org.updraft.platform.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.ledger.local.internal.FileLedger;

/**
 * Publishing asks the device profile the manifest names before anything is stored: a missing profile and a refusal
 * each stop the release with their own reason, and nothing is stored or recorded; no profile named, nothing asked.
 */
class ReleaseProfileCheckTest {

    @TempDir
    Path dir;

    private FileLedger ledger;
    private MemoryStore store;
    private PlatformReleaseService releases;
    private SigningKey vendor;

    @BeforeEach
    void start() throws Exception {
        ledger = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        LedgerTrustStore trust = new LedgerTrustStore(ledger);
        vendor = SigningKey.generate(KeyAlgorithm.ED25519);
        trust.register(vendor.did(), "acme", Set.of());
        releases = new PlatformReleaseService(ledger, trust);
        store = new MemoryStore("local");
        releases.store = store;
    }

    @AfterEach
    void stop() {
        ledger.close();
    }

    @Test
    void aManifestNamingNoProfileIsPublishedWithoutAskingOne() throws Exception {
        RecordingProfile mcuboot = bind(new RecordingProfile("mcuboot"));
        Release r = publish(null, 1);
        assertNull(r.profile());
        assertTrue(mcuboot.checked.isEmpty());
    }

    @Test
    void aProfileNoServiceHasIsRefusedNamingItsFeatureAndNothingIsStoredOrRecorded() throws Exception {
        bind(new RecordingProfile("mcuboot"));
        long events = ledger.size();
        ReleaseException e = assertThrows(ReleaseException.class, () -> publish("avr", 1));
        assertEquals("profile-missing", e.reason());
        assertEquals("no device profile 'avr' is installed: feature:install updraft-profile-avr", e.getMessage());
        assertNothingStoredOrRecorded(events);
    }

    @Test
    void aRefusalCarriesTheProfilesMessageAndNothingIsStoredOrRecorded() throws Exception {
        RecordingProfile mcuboot = bind(new RecordingProfile("mcuboot"));
        mcuboot.refusal = new ProfileException("too-large",
                "mcuboot: image 0x21000 bytes larger than slot 0x20000 minus trailer 0x630");
        long events = ledger.size();
        ReleaseException e = assertThrows(ReleaseException.class, () -> publish("mcuboot", 1));
        assertEquals("profile-rejected", e.reason());
        assertEquals("mcuboot: image 0x21000 bytes larger than slot 0x20000 minus trailer 0x630", e.getMessage());
        assertNothingStoredOrRecorded(events);
    }

    @Test
    void theProfileSeesTheManifestsFactsTheImageAndTheClasssPreviousReleaseOfTheSameProfile() throws Exception {
        RecordingProfile mcuboot = bind(new RecordingProfile("mcuboot"));
        Release first = publish("mcuboot", 1);
        assertEquals("mcuboot", first.profile());
        assertEquals(new ReleaseFacts("acme", "thermo", "mcuboot", "2.0.1", 1, 3000), mcuboot.checked.get(0));
        assertArrayEquals(image(1), mcuboot.images.get(0));
        assertNull(mcuboot.previous.get(0));

        publish("mcuboot", 2);
        assertEquals(new ReleaseFacts("acme", "thermo", "mcuboot", "2.0.1", 1, 3000), mcuboot.previous.get(1));
        // the previous image is read from the store, by position
        assertArrayEquals(image(1), mcuboot.previousImages.get(1));
    }

    @Test
    void aRemovedProfileIsMissingAgainAndAnotherOfItsIdTakesOver() throws Exception {
        RecordingProfile first = bind(new RecordingProfile("mcuboot"));
        releases.unbindProfile(first, Map.of(DeviceProfile.ID, "mcuboot"));
        assertEquals("profile-missing", assertThrows(ReleaseException.class, () -> publish("mcuboot", 1)).reason());
        RecordingProfile second = bind(new RecordingProfile("mcuboot"));
        publish("mcuboot", 1);
        assertTrue(first.checked.isEmpty());
        assertEquals(1, second.checked.size());
    }

    @Test
    void aReleaseOfTheClassPublishedWhileTheProfileChecksIsNotSkippedByItsRules() throws Exception {
        RecordingProfile mcuboot = bind(new RecordingProfile("mcuboot"));
        publish("mcuboot", 1);
        // while the profile checks release 3 against release 1, release 2 is published
        mcuboot.during = () -> publish("mcuboot", 2);
        ReleaseException e = assertThrows(ReleaseException.class, () -> publish("mcuboot", 3));
        assertEquals("publish-conflict", e.reason());
        assertEquals("release acme/thermo/2 was published while device profile 'mcuboot' checked this image; "
                + "publish it again to check it against that release", e.getMessage());
        assertEquals(List.of("acme/thermo/1", "acme/thermo/2"), releases.list().stream().map(Release::id).toList());
        assertEquals(2, store.objects.size(), "release 3's image is not left pinned");

        publish("mcuboot", 3);
        assertEquals(2, mcuboot.previous.get(mcuboot.previous.size() - 1).sequence(), "checked against release 2");
    }

    @Test
    void aProfileThatCannotRunItsCheckLetsNothingThrough() throws Exception {
        RecordingProfile broken = bind(new RecordingProfile("mcuboot"));
        broken.failure = new IllegalStateException("bug in a vendor's profile");
        long events = ledger.size();
        ReleaseException e = assertThrows(ReleaseException.class, () -> publish("mcuboot", 1));
        assertEquals("profile-failed", e.reason());
        assertTrue(e.getMessage().contains("bug in a vendor's profile"), e.getMessage());
        assertNothingStoredOrRecorded(events);
    }

    private void assertNothingStoredOrRecorded(long events) throws Exception {
        assertEquals(events, ledger.size());
        assertTrue(store.objects.isEmpty());
        assertTrue(releases.list().isEmpty());
    }

    private RecordingProfile bind(RecordingProfile profile) {
        releases.bindProfile(profile, Map.of(DeviceProfile.ID, profile.id()));
        return profile;
    }

    private static byte[] image(long sequence) {
        byte[] image = new byte[3000];
        new Random(sequence).nextBytes(image);
        return image;
    }

    /** Signs and publishes release {@code acme/thermo/<sequence>} naming {@code profile}. */
    private Release publish(String profile, long sequence) throws Exception {
        byte[] image = image(sequence);
        Path file = dir.resolve("image-" + sequence + ".bin");
        Files.write(file, image);
        Manifest m = new Manifest("acme", "thermo", profile, "2.0." + sequence, sequence, image.length,
                MessageDigest.getInstance("SHA-256").digest(image),
                UnixFsImporter.cid(new ByteArrayInputStream(image), CidOptions.DEFAULT).cid(), null, Instant.now(),
                vendor.did());
        return releases.publish(ManifestCodec.sign(m, vendor), file, null, null);
    }

    @FunctionalInterface
    private interface Publishing {
        void run() throws Exception;
    }

    /** A profile that records what it was asked, reads everything it is given, and refuses when told to. */
    private static final class RecordingProfile implements DeviceProfile {
        final String id;
        final List<ReleaseFacts> checked = new ArrayList<>();
        final List<byte[]> images = new ArrayList<>();
        final List<ReleaseFacts> previous = new ArrayList<>();
        final List<byte[]> previousImages = new ArrayList<>();
        ProfileException refusal;
        RuntimeException failure;
        /** Runs once, inside the next check: what happens elsewhere while a profile checks. */
        Publishing during;

        RecordingProfile(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void check(ReleaseFacts release, SeekableByteChannel image, PreviousRelease before)
                throws ProfileException, IOException {
            checked.add(release);
            images.add(read(image));
            previous.add(before == null ? null : before.release());
            previousImages.add(before == null ? null : read(before.image()));
            if (during != null) {
                Publishing elsewhere = during;
                during = null;
                try {
                    elsewhere.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            if (refusal != null) {
                throw refusal;
            }
        }

        /** Reads back to front in small pieces, as a profile reading a trailer and then a header would. */
        private static byte[] read(SeekableByteChannel channel) throws IOException {
            byte[] all = new byte[(int) channel.size()];
            for (int end = all.length; end > 0; end -= 700) {
                int start = Math.max(0, end - 700);
                ByteBuffer piece = ByteBuffer.wrap(all, start, end - start);
                channel.position(start);
                while (piece.hasRemaining()) {
                    if (channel.read(piece) < 0) {
                        throw new IOException("ended early");
                    }
                }
            }
            return all;
        }

        @Override
        public Optional<ProfileLimits> limits(String deviceClass) {
            return Optional.empty();
        }
    }
}
