package org.updraft.storage.ipfs.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.unixfs.ImportedFile;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.core.unixfs.UnixFsReader;

/**
 * Firmware kept on an IPFS node, reached through its RPC API ({@link KuboRpc}).
 *
 * <p>A put streams the content to the node's {@code add} and, as the bytes go by, computes their CID with
 * core's {@link UnixFsImporter}. The node's CID must equal ours: a manifest names the image by the CID core
 * computes, so an object the node files under another CID could never be found by it. On a mismatch the
 * node's copy is unpinned and the put fails.
 *
 * <p>When the node cannot be reached, requests fail with a one-line {@link StoreException},
 * {@link #status()} says so, and the log says so once until the node answers again.
 */
@Component(service = FirmwareStore.class, property = FirmwareStore.KIND + "=" + IpfsFirmwareStore.KIND_IPFS,
        configurationPid = IpfsFirmwareStore.PID)
@Designate(ocd = IpfsStoreConfig.class)
public final class IpfsFirmwareStore implements FirmwareStore {

    static final String PID = "org.updraft.storage.ipfs";
    static final String KIND_IPFS = "ipfs";

    private static final Logger LOG = LoggerFactory.getLogger(IpfsFirmwareStore.class);

    private final KuboRpc rpc;
    private final CidOptions defaults;
    private final boolean pinOnPut;
    /** The remote pinning service, or {@code null} when none is configured or it could not be set up. */
    private final RemotePins remote;
    /** Why remote pinning is off although configured, for the status; {@code null} otherwise. */
    private final String remoteOff;
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    private volatile String unreachableBecause;

    @Activate
    public IpfsFirmwareStore(IpfsStoreConfig config) {
        this(new KuboRpc(URI.create(config.api_url().strip()), Duration.ofMillis(positive(config.connect_timeout_ms())),
                Duration.ofSeconds(positive(config.request_timeout_seconds())),
                Duration.ofSeconds(positive(config.transfer_timeout_seconds())),
                Duration.ofMillis(positive(config.lookup_timeout_ms())), config.retries(),
                Duration.ofMillis(Math.max(0, config.retry_pause_ms()))),
                new CidOptions(config.cid_version(), config.raw_leaves(), CidOptions.DEFAULT_CHUNK_SIZE),
                config.pin_on_put(), config);
        LOG.info("IPFS store uses the node at {} (CIDv{}{}, pin on put {})", rpc.api(), defaults.cidVersion(),
                defaults.rawLeaves() ? " raw leaves" : "", pinOnPut ? "on" : "off");
    }

    private IpfsFirmwareStore(KuboRpc rpc, CidOptions defaults, boolean pinOnPut, IpfsStoreConfig config) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.pinOnPut = pinOnPut;
        String endpoint = config.pinning_service_endpoint() == null ? "" : config.pinning_service_endpoint().strip();
        RemotePins pins = null;
        String off = null;
        if (!endpoint.isEmpty()) {
            try {
                PinningService service = new PinningService(URI.create(endpoint),
                        PinningTokens.read(config.pinning_service_token_file()),
                        Duration.ofSeconds(positive(config.pinning_service_timeout_seconds())));
                pins = new RemotePins(service, rpc::ownAddresses,
                        Duration.ofSeconds(positive(config.pinning_service_poll_seconds())),
                        Duration.ofSeconds(positive(config.pinning_service_max_backoff_seconds())));
                LOG.info("IPFS store also pins at the pinning service {}", service.endpoint());
            } catch (IllegalArgumentException e) {
                off = "remote pinning at " + endpoint + " is off: " + e.getMessage();
                LOG.error("IPFS store: {}", off);
            }
        }
        this.remote = pins;
        this.remoteOff = off;
    }

    /** For tests: a store on {@code rpc}, with a remote pinning service when {@code remote} is not {@code null}. */
    IpfsFirmwareStore(KuboRpc rpc, CidOptions defaults, boolean pinOnPut, RemotePins remote) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.pinOnPut = pinOnPut;
        this.remote = remote;
        this.remoteOff = null;
    }

    IpfsFirmwareStore(KuboRpc rpc, CidOptions defaults, boolean pinOnPut) {
        this(rpc, defaults, pinOnPut, (RemotePins) null);
    }

    /** Stops following remote pins; the service keeps what it was asked to pin. */
    @Deactivate
    void close() {
        if (remote != null) {
            remote.close();
        }
    }

    /** Stores with the CID version and leaf kind of this store's configuration. */
    @Override
    public StoredObject put(InputStream content) throws StoreException {
        return put(content, defaults);
    }

    @Override
    public StoredObject put(InputStream content, CidOptions options) throws StoreException {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(options, "options");
        UnixFsImporter importer = new UnixFsImporter(options, null);
        Teed teed = new Teed(content, importer);
        KuboRpc.Added added = reach(() -> rpc.add(teed, options, pinOnPut));
        ImportedFile ours;
        try {
            if (!teed.ended) {
                throw new StoreException("ipfs add: the node answered before it had read all of the content");
            }
            ours = importer.finish();
        } catch (IOException e) {
            forget(added.cid(), "its content was not fully read");
            throw e instanceof StoreException se ? se : new StoreException("put: " + e.getMessage(), e);
        }
        if (!ours.cid().equals(added.cid())) {
            forget(added.cid(), "its CID differs from ours");
            LOG.error("IPFS node at {} filed {} bytes as {}, but their CID is {} (CIDv{}, raw leaves {}, chunk {}): "
                    + "unpinned it; is the node's add configured differently?", rpc.api(), ours.size(), added.cid(),
                    ours.cid(), options.cidVersion(), options.rawLeaves(), options.chunkSize());
            throw new StoreException("ipfs add: the node's CID " + added.cid() + " differs from the CID " + ours.cid()
                    + " computed for the same " + ours.size() + " bytes; nothing was stored");
        }
        if (pinOnPut && remote != null) {
            remote.request(ours.cid(), "updraft " + ours.cid());
        }
        return new StoredObject(ours.cid(), ours.size());
    }

    @Override
    public InputStream get(Cid cid, long offset, long length) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be 0 or more, not " + offset);
        }
        long size = size(cid).orElseThrow(() -> new ObjectNotFoundException(cid));
        long available = Math.max(0, size - offset);
        long wanted = length < 0 ? available : Math.min(length, available);
        if (wanted == 0) {
            return InputStream.nullInputStream();
        }
        // block by block rather than `cat`: the node is not trusted with the content, so every block is hashed
        // against its CID before a byte of it is served (a node, or whoever answers at its address, that alters
        // a leaf fails the read at that leaf); only the blocks on the path to the range are fetched
        InputStream blocks = reach(() -> {
            try {
                return UnixFsReader.open(rpc::block, cid, offset, wanted);
            } catch (StoreException e) {
                throw e;
            } catch (IOException e) {
                throw new StoreException("ipfs read " + cid + ": " + e.getMessage(), e);
            }
        });
        return new Measured(blocks, wanted, cid, offset);
    }

    @Override
    public Optional<ObjectStat> stat(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        Optional<Long> size = size(cid);
        if (size.isEmpty()) {
            return Optional.empty();
        }
        long links = reach(() -> rpc.linkCount(cid));
        boolean pinned = reach(() -> rpc.isPinned(cid));
        return Optional.of(new ObjectStat(cid, size.get(), links + 1, pinned));
    }

    @Override
    public void pin(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        if (size(cid).isEmpty()) {
            throw new ObjectNotFoundException(cid);
        }
        reach(() -> {
            rpc.pinAdd(cid);
            return null;
        });
        if (remote != null) {
            remote.request(cid, "updraft " + cid);
        }
    }

    @Override
    public void unpin(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        if (remote != null) {
            remote.remove(cid);
        }
        try {
            reach(() -> {
                rpc.pinRm(cid);
                return null;
            });
        } catch (NodeUnreachableException e) {
            throw e;
        } catch (StoreException e) {
            if (!e.getMessage().contains("not pinned")) {
                throw e;
            }
            if (size(cid).isEmpty()) {
                throw new ObjectNotFoundException(cid);
            }
        }
    }

    @Override
    public List<ObjectStat> list() throws StoreException {
        List<ObjectStat> out = new ArrayList<>();
        for (Cid cid : reach(rpc::pinLs)) {
            long size = reach(() -> rpc.fileSize(cid));
            long links = reach(() -> rpc.linkCount(cid));
            out.add(new ObjectStat(cid, size, links + 1, true));
        }
        return out;
    }

    @Override
    public StoreStatus status() {
        try {
            String version = reach(rpc::version);
            int pins = reach(rpc::pinLs).size();
            return new StoreStatus(KIND_IPFS, true, "IPFS node " + version + " at " + rpc.api() + remoteDetail(),
                    pins, -1);
        } catch (StoreException e) {
            return new StoreStatus(KIND_IPFS, false, "IPFS node at " + rpc.api() + ": " + e.getMessage()
                    + remoteDetail(), -1, -1);
        }
    }

    /** The remote pins' state, for the status line; empty without a pinning service. */
    private String remoteDetail() {
        if (remote != null) {
            return "; " + remote.summary();
        }
        return remoteOff != null ? "; " + remoteOff : "";
    }

    /** The status of {@code cid}'s pin at the remote pinning service, or {@code null} when none was asked. */
    String remotePinStatus(Cid cid) {
        return remote == null ? null : remote.status(cid);
    }

    /** The file size, or empty when the node does not have the object. */
    private Optional<Long> size(Cid cid) throws StoreException {
        try {
            return Optional.of(reach(() -> rpc.fileSize(cid)));
        } catch (NodeUnreachableException e) {
            throw e;
        } catch (StoreException e) {
            if (!KuboRpc.lacksObject(e)) {
                throw e;
            }
            // js-ipfs cannot tell "absent" from "slow": a lookup that ran out of time on a busy node is only an
            // absence if the node's own pin set (no network, no block walk) does not hold the object either
            if (KuboRpc.timedOut(e) && reach(() -> rpc.isPinned(cid))) {
                return Optional.of(reach(() -> rpc.fileSize(cid, rpc.transferTimeout())));
            }
            return Optional.empty();
        }
    }

    /** Unpins what the node stored under {@code cid} after a failed put; the put's own error is what counts. */
    private void forget(Cid cid, String why) {
        try {
            rpc.pinRm(cid);
        } catch (StoreException e) {
            LOG.warn("IPFS node at {} keeps {} pinned although {}: {}", rpc.api(), cid, why, e.getMessage());
        }
    }

    private interface Call<T> {
        T run() throws StoreException;
    }

    /** Runs a request and keeps track of whether the node is reachable, logging each change once. */
    private <T> T reach(Call<T> call) throws StoreException {
        try {
            T result = call.run();
            if (reachable.compareAndSet(false, true)) {
                LOG.info("IPFS node at {} answers again", rpc.api());
            }
            return result;
        } catch (NodeUnreachableException e) {
            unreachableBecause = e.getMessage();
            if (reachable.compareAndSet(true, false)) {
                LOG.warn("IPFS node unreachable; firmware requests fail until it is back: {}", e.getMessage());
            }
            throw e;
        }
    }

    /** Whether the last request reached the node; for tests and the log. */
    boolean lastReached() {
        return reachable.get();
    }

    String unreachableBecause() {
        return unreachableBecause;
    }

    private static int positive(int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("timeouts must be positive, not " + value);
        }
        return value;
    }

    /** Feeds every byte the HTTP client reads for the upload into the importer, which computes our CID. */
    private static final class Teed extends FilterInputStream {

        private final UnixFsImporter importer;
        volatile boolean ended;

        Teed(InputStream in, UnixFsImporter importer) {
            super(in);
            this.importer = importer;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                importer.write(b, off, n);
            } else if (n < 0) {
                ended = true;
            }
            return n;
        }

        @Override
        public long skip(long n) {
            return 0; // every byte must pass through read, or our CID would miss it
        }

        @Override
        public void close() {
            // the caller owns the content stream and closes it
        }
    }

    /** Stops at the range's end and fails if the file's blocks end before it. */
    private static final class Measured extends FilterInputStream {

        private final long expected;
        private final Cid cid;
        private final long offset;
        private long received;

        Measured(InputStream in, long expected, Cid cid, long offset) {
            super(in);
            this.expected = expected;
            this.cid = cid;
            this.offset = offset;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (received >= expected) {
                return -1;
            }
            int n;
            try {
                n = in.read(b, off, (int) Math.min(len, expected - received));
            } catch (StoreException e) {
                throw e; // names the block: missing, unreachable, or altered
            } catch (IOException e) {
                throw new StoreException("ipfs read " + cid + ": failed after " + received + " of "
                        + expected + " bytes: " + e.getMessage(), e);
            }
            if (n < 0) {
                throw new StoreException("ipfs read " + cid + ": the file's blocks ended after " + received
                        + " of " + expected + " bytes from offset " + offset);
            }
            received += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = 0;
            byte[] buffer = new byte[8192];
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), expected - received);
        }
    }
}
