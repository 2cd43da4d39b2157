package org.updraft.platform.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileException;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.api.release.progress.PublishProgress;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoredObject;
import org.updraft.api.trust.TrustStore;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestFormatException;
import org.updraft.core.manifest.ManifestVerifier;
import org.updraft.core.manifest.SignedManifest;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;

/**
 * Publishes releases: verifies the manifest and the image as a device will, stores the image, and records
 * the release on the ledger — in that order, so that nothing is stored or recorded for a release that fails
 * a check, and a release is visible only once its ledger event is durable.
 *
 * <p>The firmware store is a dynamic reference, by default the serving store ({@link ServingStore}): swapping
 * storage backends does not restart this service.
 *
 * <p>Device profiles ({@link DeviceProfile}) come and go as their features are installed: a manifest naming a
 * profile is checked by the service with that {@code profile.id} before its image is stored, and refused as
 * {@code profile-missing} while none runs. A manifest naming no profile is for any device of its class and no
 * profile is asked: the manufacturer's signature and the device's own checks are all there is.
 */
@Component(service = ReleaseService.class, configurationPid = PlatformReleaseService.PID)
@Designate(ocd = PlatformReleaseService.Config.class)
public final class PlatformReleaseService implements ReleaseService {

    /** Configuration PID: etc/org.updraft.release.cfg. */
    public static final String PID = "org.updraft.release";

    @ObjectClassDefinition(name = "Updraft release service",
            description = "Verifies, stores and records releases.")
    public @interface Config {
        @AttributeDefinition(name = "Firmware store", description = "Filter choosing the firmware store. The "
                + "default is the serving store (PID org.updraft.store), which publishes to its preferred backend.")
        String store_target() default FirmwareStore.SERVING;
    }

    private static final Logger LOG = LoggerFactory.getLogger(PlatformReleaseService.class);
    private final CatchUpFailures catchUpFailures = new CatchUpFailures(LOG, "Release index");

    private final Ledger ledger;
    private final ManifestVerifier verifier;
    private final ReleaseIndex index;

    // the target in the annotation: Config's default reaches DS only through an activation parameter, and without
    // a target any store backend would do (store.target in the configuration still overrides it)
    @Reference(name = "store", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = FirmwareStore.SERVING)
    volatile FirmwareStore store;

    /** The running device profiles in the order they came; the first of an id is the one asked. */
    private final List<Map.Entry<String, DeviceProfile>> profiles = new CopyOnWriteArrayList<>();

    @Activate
    public PlatformReleaseService(@Reference(name = "ledger", target = Ledger.SELECTED) Ledger ledger,
            @Reference(name = "trust", target = TrustStore.SELECTED) TrustStore trust) {
        this.ledger = ledger;
        this.verifier = new ManifestVerifier(trust::find);
        this.index = new ReleaseIndex(ledger);
        // the ledger's backend may start after this service: the index catches up at the first call then
        synchronized (index) {
            catchUpQuietly();
            LOG.info("Release service ready: {} releases from {} ledger events", index.list().size(),
                    index.replayed());
        }
    }

    /** Outside a framework (tests, benchmarks): publishes to {@code store} instead of the store DS binds. */
    public PlatformReleaseService(Ledger ledger, TrustStore trust, FirmwareStore store) {
        this(ledger, trust);
        this.store = store;
    }

    @Override
    public Release publish(byte[] manifestBytes, Path firmware, String deviceClass, PublishProgress progress,
            String actor) throws ReleaseException {
        VerifiedManifest verified = verifyManifest(manifestBytes, deviceClass);
        Manifest m = verified.manifest();
        // asked before the image is read: a missing profile is the operator's to fix, whatever the image
        DeviceProfile profile = m.profile() == null ? null : profile(m.profile());
        FirmwareStore target = store;
        if (target == null) {
            throw new ReleaseException("no-store", "no firmware store is running: install a storage feature "
                    + "(updraft-storage-local) or check the release service's store.target");
        }
        CidOptions options = checkImage(verified, firmware);
        // the class's latest sequence the profile compared the image with (-1: none), checked again when recording
        long checkedAfter = profile == null ? Long.MIN_VALUE : checkProfile(profile, m, firmware, target);

        StoredObject stored;
        try (InputStream in = new CountingInputStream(Files.newInputStream(firmware), m.size(), progress)) {
            stored = target.put(in, options);
        } catch (IOException e) {
            throw new ReleaseException("store-failed", "storing the image failed: " + e.getMessage(), e);
        }
        if (!stored.cid().equals(m.cid())) {
            // the file changed between the check and the upload, or the store computes CIDs differently
            unpinQuietly(target, stored.cid());
            throw new ReleaseException(Failure.CID_MISMATCH.code(), "the store computed CID " + stored.cid()
                    + " but the manifest names " + m.cid() + "; nothing was published");
        }

        synchronized (index) {
            AppendReceipt receipt;
            try {
                index.catchUp();
                // checked again under the lock: another publish of the same class may have won the race
                if (index.find(m.releaseId()).isPresent()) {
                    throw alreadyPublished(m);
                }
                long latest = index.latestSequence(m.vendor(), m.deviceClass());
                if (m.sequence() <= latest) {
                    throw new ReleaseException(Failure.SEQUENCE_NOT_NEWER.code(), "sequence number " + m.sequence()
                            + " is not greater than " + latest + ", the latest published for " + m.vendor() + "/"
                            + m.deviceClass());
                }
                if (checkedAfter != Long.MIN_VALUE && latest != checkedAfter) {
                    // rules such as MCUboot's security counter relate an image to the class's previous release:
                    // one published while this image was checked was never compared with it
                    throw new ReleaseException("publish-conflict", "release " + Release.id(m.vendor(),
                            m.deviceClass(), latest) + " was published while device profile '" + m.profile()
                            + "' checked this image; publish it again to check it against that release");
                }
                receipt = ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.now(), m.signer(),
                        ReleaseEvents.published(verified.signed(), actor), null));
            } catch (LedgerException | ReleaseException e) {
                // not recorded: the image must not stay pinned for nothing (unless an earlier release holds it)
                unpinUnlessPublished(target, stored.cid());
                if (e instanceof ReleaseException refused) {
                    throw refused;
                }
                throw new ReleaseException("ledger-failed", "the ledger did not record the release: "
                        + e.getMessage(), e);
            }
            Release release;
            try {
                index.catchUp();
                release = index.find(m.releaseId()).orElseThrow(() -> new LedgerException("it is not in the log"));
            } catch (LedgerException e) {
                throw new ReleaseException("ledger-failed", "release " + m.releaseId() + " was recorded at ledger "
                        + "index " + receipt.index() + " but cannot be read back now: " + e.getMessage(), e);
            }
            LOG.info("Published release {} (version {}, {} bytes, CID {}) at ledger index {}", release.id(),
                    release.version(), release.size(), release.cid(), release.ledgerIndex());
            return release;
        }
    }

    private VerifiedManifest verifyManifest(byte[] manifestBytes, String deviceClass) throws ReleaseException {
        try {
            SignedManifest signed = ManifestCodec.parse(manifestBytes);
            Manifest m = signed.manifest();
            long latest;
            synchronized (index) {
                index.catchUp();
                if (index.find(m.releaseId()).isPresent()) {
                    throw alreadyPublished(m);
                }
                latest = index.latestSequence(m.vendor(), m.deviceClass());
            }
            return verifier.verify(signed, Expectations.forPublishing().deviceClass(deviceClass)
                    .installedSequence(latest));
        } catch (ManifestFormatException e) {
            throw new ReleaseException(Failure.MALFORMED.code(), e.getMessage(), e);
        } catch (VerificationException e) {
            throw new ReleaseException(e.failure().code(), e.getMessage(), e);
        } catch (LedgerException e) {
            throw new ReleaseException("ledger-failed", "cannot read the ledger: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the image once, measuring size, SHA-256 and CID together, and checks them against the manifest.
     *
     * @return the CID options that reproduce the manifest's CID
     */
    private static CidOptions checkImage(VerifiedManifest verified, Path firmware) throws ReleaseException {
        try {
            return verified.checkImage(MeasuredImage.forManifest(firmware, verified.manifest()));
        } catch (VerificationException e) {
            throw new ReleaseException(e.failure().code(), e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new ReleaseException("no-firmware", "firmware file " + firmware + " does not exist");
        } catch (IOException e) {
            throw new ReleaseException("no-firmware", "cannot read firmware file " + firmware + ": " + e.getMessage(), e);
        }
    }

    /** The profile a manifest names; refuses as {@code profile-missing} while no service of that id runs. */
    private DeviceProfile profile(String id) throws ReleaseException {
        for (Map.Entry<String, DeviceProfile> p : profiles) {
            if (p.getKey().equals(id)) {
                return p.getValue();
            }
        }
        throw new ReleaseException("profile-missing", "no device profile '" + id + "' is installed: "
                + "feature:install updraft-profile-" + id);
    }

    /**
     * Asks the profile about the image (already checked against the manifest), with the class's previous release
     * when it names the same profile. Refusals are {@code profile-rejected} with the profile's message; a profile
     * that cannot run its check (an unreadable image, a bug) refuses the release too, as {@code profile-failed}.
     */
    /** Asks the profile; returns the class's latest sequence it was checked after (-1: the class's first). */
    private long checkProfile(DeviceProfile profile, Manifest m, Path firmware, FirmwareStore target)
            throws ReleaseException {
        Release previous;
        long latest;
        synchronized (index) {
            latest = index.latestSequence(m.vendor(), m.deviceClass());
            previous = index.find(Release.id(m.vendor(), m.deviceClass(), latest))
                    .filter(r -> m.profile().equals(r.profile())).orElse(null);
        }
        ReleaseFacts facts = new ReleaseFacts(m.vendor(), m.deviceClass(), m.profile(), m.version(), m.sequence(),
                m.size());
        try (FileChannel image = FileChannel.open(firmware, StandardOpenOption.READ);
                StoredImageChannel before = previous == null ? null
                        : new StoredImageChannel(target, previous.cid(), previous.size())) {
            profile.check(facts, image, previous == null ? null : new PreviousRelease(new ReleaseFacts(
                    previous.vendor(), previous.deviceClass(), previous.profile(), previous.version(),
                    previous.sequence(), previous.size()), before));
        } catch (ProfileException e) {
            throw new ReleaseException("profile-rejected", e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            // a check that could not run lets nothing through
            throw new ReleaseException("profile-failed", "device profile '" + m.profile() + "' could not check the "
                    + "image: " + (e instanceof IOException ? e.getMessage() : e.toString()), e);
        }
        return latest;
    }

    @Reference(name = "profile", service = DeviceProfile.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void bindProfile(DeviceProfile profile, Map<String, Object> properties) {
        Object id = properties.get(DeviceProfile.ID);
        String key = id instanceof String s ? s : profile.id();
        profiles.add(Map.entry(key, profile));
        LOG.info("Device profile {} is running: manifests naming it are checked by it", key);
    }

    public void unbindProfile(DeviceProfile profile, Map<String, Object> properties) {
        if (profiles.removeIf(p -> p.getValue() == profile)) {
            LOG.info("Device profile {} stopped", properties.get(DeviceProfile.ID));
        }
    }

    private static ReleaseException alreadyPublished(Manifest m) {
        return new ReleaseException("already-published", "release " + m.releaseId() + " is already published");
    }

    /** Unpins an image no release was recorded for, unless a published release has the same image. */
    private void unpinUnlessPublished(FirmwareStore target, Cid cid) {
        if (index.list().stream().noneMatch(r -> r.cid().equals(cid))) {
            unpinQuietly(target, cid);
        }
    }

    private static void unpinQuietly(FirmwareStore target, Cid cid) {
        try {
            target.unpin(cid);
        } catch (StoreException e) {
            LOG.warn("Could not unpin unpublished object {}: {}", cid, e.getMessage());
        }
    }

    @Override
    public List<Release> list() {
        synchronized (index) {
            catchUpQuietly();
            return index.list();
        }
    }

    @Override
    public Optional<Release> find(String id) {
        synchronized (index) {
            catchUpQuietly();
            return index.find(id);
        }
    }

    private void catchUpQuietly() {
        try {
            index.catchUp();
            catchUpFailures.succeeded();
        } catch (LedgerException e) {
            catchUpFailures.failed(e);
        }
    }

    /** Counts bytes read, for the progress of an upload. */
    private static final class CountingInputStream extends FilterInputStream {
        private final long total;
        private final PublishProgress progress;
        private long done;

        CountingInputStream(InputStream in, long total, PublishProgress progress) {
            super(in);
            this.total = total;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                advance(n);
            }
            return n;
        }

        private void advance(long n) {
            done += n;
            if (progress != null) {
                progress.bytesStored(done, total);
            }
        }
    }
}
