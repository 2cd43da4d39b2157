package org.updraft.platform.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.delta.Delta;
import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.PatchInfo;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoredObject;
import org.updraft.core.delta.DeltaCodecs;
import org.updraft.core.delta.Deltas;
import org.updraft.core.event.DeltaEvents;

/**
 * Makes delta updates between published releases ({@link ReleaseDeltas}): reads both images from the serving store
 * and checks their digests, has the codec make the patch within the devices' memory budget, applies the patch
 * to the base as a device would and compares the result with the target's signed digest, stores the patch, then
 * records it on the ledger — in that order, so a delta on the ledger always has its patch stored and rebuilds the
 * target, and a refused delta leaves nothing behind.
 *
 * <p>Which codec, and how much memory a device may spend applying a patch, is the device profile's to say
 * ({@link ProfileLimits#deltaCodecs()}, {@link ProfileLimits#deltaMemory()}) for releases whose manifest names
 * one; for the others this component's configuration says it. Codecs are the library's (bsdiff, VCDIFF) and any
 * {@link DeltaCodec} service, a service taking precedence over a built-in codec of the same id.
 *
 * <p>Making a patch holds both images in memory (a suffix sort over the base for bsdiff), so images above
 * {@code max.image.bytes} get no delta: their devices get the full image.
 */
@Component(service = ReleaseDeltas.class, configurationPid = PlatformReleaseDeltas.PID)
@Designate(ocd = PlatformReleaseDeltas.Config.class)
public final class PlatformReleaseDeltas implements ReleaseDeltas {

    /** Configuration PID: etc/org.updraft.delta.cfg. */
    public static final String PID = "org.updraft.delta";

    @ObjectClassDefinition(name = "Updraft delta updates",
            description = "Makes, checks, stores and records patches between published releases.")
    public @interface Config {
        @AttributeDefinition(name = "Codec", description = "The delta codec for releases whose manifest names no "
                + "device profile, or whose profile states no codecs: bsdiff or vcdiff.")
        String codec() default DeltaCodecs.DEFAULT;

        @AttributeDefinition(name = "Apply memory", description = "The working memory in bytes a device may "
                + "spend applying a patch, for releases whose profile does not state it (4 MiB: bsdiff needs 1.4 MiB at least, VCDIFF less).")
        long apply_memory() default 4L * 1024 * 1024;

        @AttributeDefinition(name = "Largest image", description = "Images above this many bytes get no delta: "
                + "making one holds both images, and the codec's index of the base, in memory (16 MiB).")
        long max_image_bytes() default 16L * 1024 * 1024;

        @AttributeDefinition(name = "From installed releases", description = "When a release is published "
                + "through the shell, also make deltas to it from every release that registered devices of its "
                + "class run.")
        boolean from_installed() default false;

        @AttributeDefinition(name = "Firmware store", description = "Filter choosing the store patches are read "
                + "from and written to; the default is the serving store (PID org.updraft.store).")
        String store_target() default FirmwareStore.SERVING;
    }

    private static final Logger LOG = LoggerFactory.getLogger(PlatformReleaseDeltas.class);
    private final CatchUpFailures catchUpFailures = new CatchUpFailures(LOG, "Delta index");
    /** Registered devices read per registry call when looking for the releases a class runs. */
    private static final int REGISTRY_PAGE = 1000;

    private final Ledger ledger;
    private final ReleaseService releases;
    private final DeviceRegistry registry;
    private final DeltaIndex index;
    private volatile Config config;

    @Reference(name = "store", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, target = FirmwareStore.SERVING)
    volatile FirmwareStore store;

    private final List<Map.Entry<String, DeviceProfile>> profiles = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<String, DeltaCodec>> codecs = new CopyOnWriteArrayList<>();

    @Activate
    public PlatformReleaseDeltas(@Reference(name = "ledger", target = Ledger.SELECTED) Ledger ledger,
            @Reference(name = "releases") ReleaseService releases,
            @Reference(name = "registry", target = DeviceRegistry.SELECTED) DeviceRegistry registry, Config config) {
        this.ledger = ledger;
        this.releases = releases;
        this.registry = registry;
        this.index = new DeltaIndex(ledger);
        modified(config);
    }

    /** Outside a framework (tests): reads and writes patches in {@code store}. */
    public PlatformReleaseDeltas(Ledger ledger, ReleaseService releases, DeviceRegistry registry, Config config,
            FirmwareStore store) {
        this(ledger, releases, registry, config);
        this.store = store;
    }

    @Modified
    void modified(Config config) {
        if (config.apply_memory() <= 0 || config.max_image_bytes() <= 0) {
            throw new IllegalArgumentException("configuration " + PID + ": apply.memory and max.image.bytes must "
                    + "be positive");
        }
        this.config = config;
        LOG.info("Delta updates: codec {} and {} bytes of apply memory for classes without a profile, images up to "
                + "{} bytes, {}", config.codec(), config.apply_memory(), config.max_image_bytes(),
                config.from_installed() ? "also from the releases devices run" : "from the releases named only");
    }

    @Override
    public Delta publish(String fromRelease, String toRelease, String codec) throws ReleaseException {
        Release to = release(toRelease);
        return publish(release(fromRelease), to, codec);
    }

    @Override
    public List<Delta> publishFor(String toRelease, List<String> fromReleases, String codec)
            throws ReleaseException {
        Release to = release(toRelease);
        List<Delta> made = new ArrayList<>();
        for (String from : fromReleases) {
            made.add(publish(release(from), to, codec));
        }
        if (config.from_installed()) {
            for (Release base : installedBases(to)) {
                if (made.stream().anyMatch(d -> d.fromRelease().equals(base.id()))) {
                    continue;
                }
                try {
                    made.add(publish(base, to, codec));
                } catch (ReleaseException e) {
                    LOG.info("No delta {} -> {}: {}", base.id(), to.id(), e.getMessage());
                }
            }
        }
        return made;
    }

    @Override
    public List<Delta> to(String toRelease) {
        return list().stream().filter(d -> d.toRelease().equals(toRelease)).toList();
    }

    @Override
    public List<Delta> list() {
        synchronized (index) {
            catchUpQuietly();
            return index.list();
        }
    }

    private Delta publish(Release from, Release to, String codecId) throws ReleaseException {
        if (!from.vendor().equals(to.vendor()) || !from.deviceClass().equals(to.deviceClass())) {
            throw new ReleaseException("not-older", "release " + from.id() + " is not of " + to.vendor() + "/"
                    + to.deviceClass() + ": a delta is made between releases of one device class");
        }
        if (from.sequence() >= to.sequence()) {
            throw new ReleaseException("not-older", "release " + from.id() + " is not older than " + to.id());
        }
        if (MessageDigest.isEqual(from.sha256(), to.sha256())) {
            throw new ReleaseException("same-image", "releases " + from.id() + " and " + to.id()
                    + " have the same image: a device running one needs no download for the other");
        }
        Config c = config;
        Optional<ProfileLimits> limits = limits(to);
        DeltaCodec codec = codec(to, codecId, limits, c);
        long memory = limits.filter(l -> !l.deltaCodecs().isEmpty()).map(ProfileLimits::deltaMemory)
                .orElse(c.apply_memory());
        Optional<Delta> existing = recorded(from, to, codec.id());
        if (existing.isPresent()) {
            return existing.get();
        }
        if (from.size() > c.max_image_bytes() || to.size() > c.max_image_bytes()) {
            throw new ReleaseException("too-large", "no delta " + from.id() + " -> " + to.id() + ": images above "
                    + c.max_image_bytes() + " bytes get none (max.image.bytes of " + PID + ")");
        }
        FirmwareStore target = store;
        if (target == null) {
            throw new ReleaseException("no-store", "no firmware store is running: install a storage feature "
                    + "(updraft-storage-local) or check " + PID + "'s store.target");
        }
        byte[] base = image(target, from);
        byte[] image = image(target, to);
        byte[] patch = makeAndCheck(codec, from, to, base, image, memory);
        PatchInfo info = inspect(codec, patch);

        StoredObject stored;
        try {
            stored = target.put(new ByteArrayInputStream(patch), CidOptions.V1);
        } catch (StoreException e) {
            throw new ReleaseException("store-failed", "storing the patch failed: " + e.getMessage(), e);
        }
        synchronized (index) {
            try {
                index.catchUp();
                Optional<Delta> raced = index.find(from.id(), to.id(), codec.id());
                if (raced.isPresent()) {
                    unpinUnlessReferenced(target, stored.cid());
                    return raced.get();
                }
                Delta delta = new Delta(from.id(), to.id(), from.sha256(), to.sha256(), codec.id(), stored.cid(),
                        patch.length, info.applyMemory(), -1);
                ledger.append(new LedgerEvent(EventTypes.DELTA_PUBLISHED, Instant.now(), ledger.logKey(),
                        DeltaEvents.published(delta), null));
                index.catchUp();
                Delta recorded = index.find(from.id(), to.id(), codec.id())
                        .orElseThrow(() -> new LedgerException("it is not in the log"));
                LOG.info("Published delta {}: {} bytes for a {}-byte image ({}%), patch {}, at ledger index {}",
                        recorded.label(), recorded.patchSize(), to.size(), percent(recorded.patchSize(), to.size()),
                        recorded.patch(), recorded.ledgerIndex());
                return recorded;
            } catch (LedgerException e) {
                unpinUnlessReferenced(target, stored.cid());
                throw new ReleaseException("ledger-failed", "the ledger did not record the delta " + from.id()
                        + " -> " + to.id() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Makes the patch, then applies it to the base as a device would and compares the result with the target's
     * signed digest: a codec bug must never reach a fleet as a patch that builds another image.
     */
    private static byte[] makeAndCheck(DeltaCodec codec, Release from, Release to, byte[] base, byte[] image,
            long memory) throws ReleaseException {
        // a patch no smaller than the image gains nothing: stop writing it there, which also bounds its memory
        LimitedBuffer patch = new LimitedBuffer(image.length);
        try {
            codec.create(Deltas.channel(base), Deltas.channel(image), patch, memory);
        } catch (LimitedBuffer.Full e) {
            throw new ReleaseException("not-smaller", "the " + codec.id() + " patch " + from.id() + " -> " + to.id()
                    + " would be no smaller than the " + image.length + "-byte image: devices get the image");
        } catch (DeltaException e) {
            throw new ReleaseException("delta-failed", codec.id() + " could not make the patch " + from.id()
                    + " -> " + to.id() + " (" + e.reason().code() + "): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ReleaseException("delta-failed", "making the patch failed: " + e.getMessage(), e);
        }
        byte[] bytes = patch.toByteArray();
        byte[] rebuilt;
        try {
            rebuilt = Deltas.apply(codec, Deltas.channel(base), from.sha256(), Deltas.channel(bytes),
                    OutputStream.nullOutputStream(), to.size(), memory);
        } catch (DeltaException | IOException e) {
            throw new ReleaseException("delta-failed", "the " + codec.id() + " patch " + from.id() + " -> " + to.id()
                    + " does not apply to its base: " + e.getMessage(), e);
        }
        if (!MessageDigest.isEqual(rebuilt, to.sha256())) {
            throw new ReleaseException("delta-failed", "the " + codec.id() + " patch " + from.id() + " -> " + to.id()
                    + " rebuilds an image with SHA-256 " + HexFormat.of().formatHex(rebuilt) + ", not the release's");
        }
        return bytes;
    }

    private static PatchInfo inspect(DeltaCodec codec, byte[] patch) throws ReleaseException {
        try {
            return codec.inspect(Deltas.channel(patch));
        } catch (DeltaException | IOException e) {
            throw new ReleaseException("delta-failed", codec.id() + " cannot read its own patch: " + e.getMessage(),
                    e);
        }
    }

    /** A release's image from the store, checked against the release's digest before anything is made of it. */
    private static byte[] image(FirmwareStore store, Release release) throws ReleaseException {
        byte[] bytes;
        try (InputStream in = store.get(release.cid())) {
            bytes = in.readNBytes((int) release.size());
            if (in.read() != -1) {
                throw new IOException("the store holds more than the release's " + release.size() + " bytes");
            }
        } catch (IOException e) {
            throw new ReleaseException("store-failed", "cannot read the image of " + release.id() + " ("
                    + release.cid() + "): " + e.getMessage(), e);
        }
        try {
            if (bytes.length != release.size()
                    || !MessageDigest.isEqual(MessageDigest.getInstance("SHA-256").digest(bytes), release.sha256())) {
                throw new ReleaseException("store-failed", "the store returned an image of " + release.id()
                        + " that does not hash to its manifest's SHA-256");
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        return bytes;
    }

    /** The codec for a delta to {@code to}: the one asked for, or the class's preferred one that runs. */
    private DeltaCodec codec(Release to, String asked, Optional<ProfileLimits> limits, Config c)
            throws ReleaseException {
        List<String> accepted = limits.map(ProfileLimits::deltaCodecs).filter(l -> !l.isEmpty())
                .orElse(List.of(c.codec()));
        if (asked != null) {
            if (!accepted.contains(asked)) {
                throw new ReleaseException("no-codec", "the devices of " + to.vendor() + "/" + to.deviceClass()
                        + " accept " + String.join(", ", accepted) + ", not " + asked);
            }
            return running(asked).orElseThrow(() -> new ReleaseException("no-codec", "delta codec '" + asked
                    + "' is not running (running: " + String.join(", ", runningIds()) + ")"));
        }
        for (String id : accepted) {
            Optional<DeltaCodec> codec = running(id);
            if (codec.isPresent()) {
                return codec.get();
            }
        }
        throw new ReleaseException("no-codec", "none of the codecs the devices of " + to.vendor() + "/"
                + to.deviceClass() + " accept is running (" + String.join(", ", accepted) + "; running: "
                + String.join(", ", runningIds()) + ")");
    }

    private Optional<DeltaCodec> running(String id) {
        for (Map.Entry<String, DeltaCodec> e : codecs) {
            if (e.getKey().equals(id)) {
                return Optional.of(e.getValue());
            }
        }
        return DeltaCodecs.find(id);
    }

    private TreeSet<String> runningIds() {
        TreeSet<String> ids = new TreeSet<>();
        DeltaCodecs.builtIn().forEach(c -> ids.add(c.id()));
        codecs.forEach(e -> ids.add(e.getKey()));
        return ids;
    }

    /** What the release's profile says of its class's devices; empty without a profile, or one not running. */
    private Optional<ProfileLimits> limits(Release release) {
        if (release.profile() == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, DeviceProfile> p : profiles) {
            if (p.getKey().equals(release.profile())) {
                return p.getValue().limits(release.deviceClass());
            }
        }
        return Optional.empty();
    }

    /** The published releases of {@code to}'s class, older than it, that registered devices run. */
    private List<Release> installedBases(Release to) throws ReleaseException {
        TreeSet<Long> sequences = new TreeSet<>();
        DeviceFilter filter = new DeviceFilter(to.vendor(), to.deviceClass(), null, java.util.Set.of(), null, null);
        try {
            String after = null;
            while (true) {
                List<Device> page = registry.list(filter, after, REGISTRY_PAGE);
                for (Device d : page) {
                    if (d.installedSequence() >= 0 && d.installedSequence() < to.sequence()) {
                        sequences.add(d.installedSequence());
                    }
                }
                if (page.size() < REGISTRY_PAGE) {
                    break;
                }
                after = page.get(page.size() - 1).id();
            }
        } catch (RegistryException e) {
            throw new ReleaseException("registry-failed", "cannot read which releases the devices of "
                    + to.vendor() + "/" + to.deviceClass() + " run: " + e.getMessage(), e);
        }
        List<Release> bases = new ArrayList<>();
        for (long sequence : sequences) {
            Optional<Release> base = releases.find(Release.id(to.vendor(), to.deviceClass(), sequence));
            if (base.isPresent()) {
                bases.add(base.get());
            } else {
                LOG.info("No delta to {} from sequence {}: devices run it, but it is not a published release",
                        to.id(), sequence);
            }
        }
        return bases;
    }

    private Release release(String id) throws ReleaseException {
        return releases.find(id).orElseThrow(() -> new ReleaseException("unknown-release", "release " + id
                + " is not published"));
    }

    private Optional<Delta> recorded(Release from, Release to, String codec) throws ReleaseException {
        synchronized (index) {
            try {
                index.catchUp();
            } catch (LedgerException e) {
                throw new ReleaseException("ledger-failed", "cannot read the ledger: " + e.getMessage(), e);
            }
            return index.find(from.id(), to.id(), codec);
        }
    }

    /** Unpins a patch no delta was recorded for, unless a recorded delta or a release has the same object. */
    private void unpinUnlessReferenced(FirmwareStore target, Cid cid) {
        if (index.list().stream().anyMatch(d -> d.patch().equals(cid))
                || releases.list().stream().anyMatch(r -> r.cid().equals(cid))) {
            return;
        }
        try {
            target.unpin(cid);
        } catch (StoreException e) {
            LOG.warn("Could not unpin unrecorded patch {}: {}", cid, e.getMessage());
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

    private static long percent(long part, long whole) {
        return whole == 0 ? 0 : Math.round(100.0 * part / whole);
    }

    @Reference(name = "profile", service = DeviceProfile.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void bindProfile(DeviceProfile profile, Map<String, Object> properties) {
        Object id = properties.get(DeviceProfile.ID);
        profiles.add(Map.entry(id instanceof String s ? s : profile.id(), profile));
    }

    public void unbindProfile(DeviceProfile profile) {
        profiles.removeIf(p -> p.getValue() == profile);
    }

    @Reference(name = "codec", service = DeltaCodec.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void bindCodec(DeltaCodec codec, Map<String, Object> properties) {
        Object id = properties.get(DeltaCodec.CODEC);
        codecs.add(Map.entry(id instanceof String s ? s : codec.id(), codec));
    }

    public void unbindCodec(DeltaCodec codec) {
        codecs.removeIf(c -> c.getValue() == codec);
    }

    /** An in-memory patch that refuses to grow past a limit. */
    private static final class LimitedBuffer extends OutputStream {

        /** The patch reached the limit. */
        static final class Full extends IOException {
            private static final long serialVersionUID = 1L;
        }

        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final long limit;

        LimitedBuffer(long limit) {
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] { (byte) b }, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (bytes.size() + (long) len >= limit) {
                throw new Full();
            }
            bytes.write(b, off, len);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
