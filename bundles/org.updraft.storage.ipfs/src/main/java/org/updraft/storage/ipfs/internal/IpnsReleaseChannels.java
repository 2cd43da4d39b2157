package org.updraft.storage.ipfs.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.channel.ChannelException;
import org.updraft.api.channel.ChannelPointer;
import org.updraft.api.channel.ReleaseChannels;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoredObject;
import org.updraft.api.trust.TrustStore;
import org.updraft.core.event.ChannelEvents;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestVerifier;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;

/**
 * Release channels as IPNS names on the IPFS store's node. Each channel has its own key in the node's keychain,
 * {@code updraft+VENDOR+CLASS+CHANNEL} ('+' appears in no vendor, class or channel name, so the key name is
 * unambiguous); its IPNS name points at {@code /ipfs/<CID of the signed manifest>}.
 *
 * <p>Order of a publish: checks (release on the ledger, vendor and class, manifest still verifies, not backwards),
 * then the manifest is added and pinned, then the IPNS name is moved, then the move is appended to the ledger. The
 * ledger comes last so that it never records a move that did not happen; if the append fails, the name is moved
 * back to where the ledger says it was, and the call fails.
 *
 * <p>Runs only where the IPFS store has its configuration (PID {@value IpfsFirmwareStore#PID}).
 */
@Component(service = ReleaseChannels.class, configurationPid = IpfsFirmwareStore.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class IpnsReleaseChannels implements ReleaseChannels {

    private static final Logger LOG = LoggerFactory.getLogger(IpnsReleaseChannels.class);
    private static final String KEY_PREFIX = "updraft+";

    private final KuboRpc rpc;
    private final FirmwareStore store;
    private final Ledger ledger;
    private final ReleaseService releases;
    private final ManifestVerifier verifier;
    private final String lifetime;
    private final boolean allowOffline;
    private final ChannelLog log;

    @Activate
    public IpnsReleaseChannels(IpfsStoreConfig config,
            @Reference(name = "store", target = "(" + FirmwareStore.KIND + "=" + IpfsFirmwareStore.KIND_IPFS + ")")
            FirmwareStore store, @Reference(name = "ledger", target = Ledger.SELECTED) Ledger ledger,
            @Reference(name = "trust", target = TrustStore.SELECTED) TrustStore trust,
            @Reference(name = "releases") ReleaseService releases) {
        this(new KuboRpc(URI.create(config.api_url().strip()), Duration.ofMillis(config.connect_timeout_ms()),
                Duration.ofSeconds(config.request_timeout_seconds()),
                Duration.ofSeconds(config.transfer_timeout_seconds()), Duration.ofMillis(config.lookup_timeout_ms()),
                config.retries(), Duration.ofMillis(Math.max(0, config.retry_pause_ms()))), store, ledger, trust,
                releases, config.ipns_lifetime(), config.ipns_allow_offline());
    }

    IpnsReleaseChannels(KuboRpc rpc, FirmwareStore store, Ledger ledger, TrustStore trust, ReleaseService releases,
            String lifetime, boolean allowOffline) {
        if (lifetime == null || !lifetime.strip().matches("[0-9]+(ns|us|ms|s|m|h)([0-9]+(ns|us|ms|s|m|h))*")) {
            throw new IllegalArgumentException("ipns.lifetime '" + lifetime + "' must be a duration such as 24h or 90m");
        }
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.store = Objects.requireNonNull(store, "store");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.releases = Objects.requireNonNull(releases, "releases");
        this.verifier = new ManifestVerifier(trust::find);
        this.lifetime = lifetime.strip();
        this.allowOffline = allowOffline;
        this.log = new ChannelLog(ledger);
    }

    /** The node's key name for a channel. */
    static String keyName(String vendor, String deviceClass, String channel) {
        return KEY_PREFIX + vendor + "+" + deviceClass + "+" + channel;
    }

    @Override
    public synchronized ChannelPointer publish(String vendor, String deviceClass, String channel, String releaseId,
            boolean force, String actor) throws ChannelException {
        checkNames(vendor, deviceClass, channel);
        Objects.requireNonNull(actor, "actor");
        String where = vendor + "/" + deviceClass + " channel " + channel;
        Release release = releases.find(releaseId).orElseThrow(() -> new ChannelException("unknown-release",
                "release " + releaseId + " is not on the ledger"));
        if (!release.vendor().equals(vendor) || !release.deviceClass().equals(deviceClass)) {
            throw new ChannelException("wrong-class", "release " + releaseId + " is for " + release.vendor() + "/"
                    + release.deviceClass() + ", not for " + vendor + "/" + deviceClass);
        }
        byte[] manifest = release.manifest();
        verify(manifest, vendor, deviceClass); // a release whose signer was revoked since is offered by no channel

        Optional<ChannelPointer> current = recorded(vendor, deviceClass, channel);
        if (current.isPresent() && release.sequence() < current.get().sequence() && !force) {
            throw new ChannelException("backwards", where + " points at release " + current.get().releaseId()
                    + " (sequence " + current.get().sequence() + "); moving it to sequence " + release.sequence()
                    + " would offer devices an older release: use --force to step back on purpose");
        }

        Cid manifestCid = addManifest(manifest);
        KuboRpc.Key key = key(keyName(vendor, deviceClass, channel));
        KuboRpc.Published published = movePointer(key, manifestCid, where);
        String name = published.name();

        if (current.isPresent() && current.get().releaseId().equals(releaseId)
                && current.get().manifest().equals(manifestCid) && current.get().name().equals(name)) {
            // the name was refreshed, the channel did not move: nothing new to record
            LOG.info("Release channel {} republished at {} (still release {})", where, name, releaseId);
            return current.get();
        }

        ChannelEvents.Published event = new ChannelEvents.Published(vendor, deviceClass, channel, releaseId,
                release.sequence(), manifestCid, name, force && current.isPresent()
                        && release.sequence() < current.get().sequence(), actor);
        try {
            ledger.append(new LedgerEvent(ChannelEvents.TYPE, Instant.now(), ledger.logKey(),
                    ChannelEvents.published(event), null));
            log.catchUp();
        } catch (LedgerException e) {
            String undone = moveBack(key, current, where);
            throw new ChannelException("ledger-failed", "the ledger did not record the move of " + where + " to "
                    + releaseId + ": " + e.getMessage() + "; " + undone, e);
        }
        ChannelPointer now = log.latest(vendor, deviceClass, channel).orElseThrow();
        LOG.info("Release channel {} now points at release {} (manifest {}) as IPNS name {}, ledger index {}{}",
                where, releaseId, manifestCid, name, now.ledgerIndex(), event.forced() ? ", forced back" : "");
        return now;
    }

    @Override
    public synchronized ChannelPointer resolve(String vendor, String deviceClass, String channel)
            throws ChannelException {
        checkNames(vendor, deviceClass, channel);
        String where = vendor + "/" + deviceClass + " channel " + channel;
        Optional<ChannelPointer> recorded = recorded(vendor, deviceClass, channel);
        String name;
        try {
            KuboRpc.Key key = rpc.keyList().get(keyName(vendor, deviceClass, channel));
            name = key != null ? key.id() : recorded.map(ChannelPointer::name).orElse(null);
        } catch (StoreException e) {
            throw nodeFailed(e);
        }
        if (name == null) {
            throw new ChannelException("unknown-channel", where + " was never published");
        }
        String path;
        try {
            path = rpc.nameResolve(name);
        } catch (StoreException e) {
            if (e instanceof NodeUnreachableException) {
                throw nodeFailed(e);
            }
            throw new ChannelException("unknown-channel", where + ": the IPNS name " + name
                    + " does not resolve: " + e.getMessage(), e);
        }
        Cid cid = pathCid(path, name);
        byte[] bytes = readManifest(cid);
        VerifiedManifest verified = verify(bytes, vendor, deviceClass);
        Manifest m = verified.manifest();
        Release release = releases.find(m.releaseId()).orElseThrow(() -> new ChannelException("unverified",
                where + " points at a manifest of release " + m.releaseId() + ", which is not on the ledger"));
        if (!Arrays.equals(release.manifest(), bytes)) {
            throw new ChannelException("unverified", where + " points at a manifest for " + m.releaseId()
                    + " that differs from the one published on the ledger");
        }
        boolean matches = recorded.isPresent() && recorded.get().manifest().equals(cid)
                && recorded.get().releaseId().equals(release.id()) && recorded.get().name().equals(name);
        if (!matches) {
            LOG.warn("Release channel {} resolves to release {} (manifest {}), which the ledger did not record as "
                    + "its latest move", where, release.id(), cid);
        }
        return new ChannelPointer(vendor, deviceClass, channel, name, cid, release.id(), release.sequence(),
                matches ? recorded.get().moved() : null, matches ? recorded.get().ledgerIndex() : -1);
    }

    @Override
    public synchronized List<ChannelPointer> list() throws ChannelException {
        try {
            log.catchUp();
        } catch (LedgerException e) {
            throw new ChannelException("ledger-failed", "cannot read the ledger: " + e.getMessage(), e);
        }
        return log.all();
    }

    private Optional<ChannelPointer> recorded(String vendor, String deviceClass, String channel)
            throws ChannelException {
        try {
            log.catchUp();
        } catch (LedgerException e) {
            throw new ChannelException("ledger-failed", "cannot read the ledger: " + e.getMessage(), e);
        }
        return log.latest(vendor, deviceClass, channel);
    }

    private static void checkNames(String vendor, String deviceClass, String channel) throws ChannelException {
        try {
            Manifest.checkId("vendor", vendor);
            Manifest.checkId("device class", deviceClass);
            ReleaseChannels.checkChannelName(channel);
        } catch (IllegalArgumentException e) {
            throw new ChannelException("invalid-name", e.getMessage());
        }
    }

    private VerifiedManifest verify(byte[] manifest, String vendor, String deviceClass) throws ChannelException {
        VerifiedManifest verified;
        try {
            verified = verifier.verify(manifest, Expectations.none().deviceClass(deviceClass));
        } catch (VerificationException e) {
            throw new ChannelException("unverified", "the manifest does not verify: " + e.getMessage(), e);
        }
        if (!verified.manifest().vendor().equals(vendor)) {
            throw new ChannelException("unverified", "the manifest is of vendor '" + verified.manifest().vendor()
                    + "', not '" + vendor + "'");
        }
        return verified;
    }

    private Cid addManifest(byte[] manifest) throws ChannelException {
        try {
            StoredObject stored = store.put(new ByteArrayInputStream(manifest));
            return stored.cid();
        } catch (StoreException e) {
            throw nodeFailed(e);
        }
    }

    private KuboRpc.Key key(String keyName) throws ChannelException {
        try {
            KuboRpc.Key key = rpc.keyList().get(keyName);
            return key != null ? key : rpc.keyGen(keyName);
        } catch (StoreException e) {
            throw nodeFailed(e);
        }
    }

    private KuboRpc.Published movePointer(KuboRpc.Key key, Cid manifestCid, String where) throws ChannelException {
        try {
            return rpc.namePublish(key.name(), "/ipfs/" + manifestCid, lifetime, allowOffline);
        } catch (StoreException e) {
            throw new ChannelException("node-failed", "the IPFS node did not move " + where + ": " + e.getMessage(),
                    e);
        }
    }

    /** After a failed append: points the name back where the ledger says it is; returns what happened, for the error. */
    private String moveBack(KuboRpc.Key key, Optional<ChannelPointer> current, String where) {
        if (current.isEmpty()) {
            return "the IPNS name " + key.id() + " is new and points at the unrecorded release until it is "
                    + "published again; resolving it reports it as not recorded";
        }
        try {
            rpc.namePublish(key.name(), "/ipfs/" + current.get().manifest(), lifetime, allowOffline);
            return "the IPNS name was moved back to release " + current.get().releaseId();
        } catch (StoreException e) {
            LOG.error("Release channel {}: the ledger did not record its move, and moving the IPNS name back to {} "
                    + "failed too: {}", where, current.get().manifest(), e.getMessage());
            return "moving the IPNS name back to release " + current.get().releaseId() + " failed too: "
                    + e.getMessage();
        }
    }

    private static Cid pathCid(String path, String name) throws ChannelException {
        String prefix = "/ipfs/";
        String rest = path.startsWith(prefix) ? path.substring(prefix.length()) : "";
        try {
            if (rest.isEmpty() || rest.contains("/")) {
                throw new IllegalArgumentException("not /ipfs/<cid>");
            }
            return Cid.parseAnySpelling(rest); // as the node answers; the manifest is verified after
        } catch (IllegalArgumentException e) {
            throw new ChannelException("unverified", "the IPNS name " + name + " points at '" + path
                    + "', not at a manifest's /ipfs/<cid>");
        }
    }

    private byte[] readManifest(Cid cid) throws ChannelException {
        try (InputStream in = store.get(cid, 0, ManifestCodec.MAX_MANIFEST_BYTES + 1L)) {
            byte[] bytes = in.readAllBytes();
            if (bytes.length > ManifestCodec.MAX_MANIFEST_BYTES) {
                throw new ChannelException("unverified", "the object " + cid + " the channel points at is larger than "
                        + ManifestCodec.MAX_MANIFEST_BYTES + " bytes: not a manifest");
            }
            return bytes;
        } catch (ObjectNotFoundException e) {
            throw new ChannelException("unverified", "the manifest " + cid + " the channel points at is not on the "
                    + "IPFS node", e);
        } catch (StoreException e) {
            throw nodeFailed(e);
        } catch (IOException e) {
            throw new ChannelException("node-failed", "reading the manifest " + cid + " failed: " + e.getMessage(), e);
        }
    }

    private static ChannelException nodeFailed(StoreException e) {
        return new ChannelException("node-failed", e.getMessage(), e);
    }
}
