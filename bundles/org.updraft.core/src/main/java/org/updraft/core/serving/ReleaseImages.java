package org.updraft.core.serving;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;

/**
 * The images a transport serves (CoAP's /fw, MQTT's block requests): those of published releases, by CID (v0 or
 * v1 text of the same content), with the release they belong to (for {@code UpdateService.bytesServed}) and their
 * size (for block bounds). Learned from the offers the transport hands out and, for a CID it has not offered, from the release service —
 * asked at most once a second, so requests for unknown CIDs cannot turn into a flood of listings.
 */
public final class ReleaseImages {

    /** An image of a published release. */
    public record Image(Cid cid, String releaseId, long size) {
    }

    private static final long RELIST_NANOS = 1_000_000_000L;

    private final ConcurrentHashMap<Cid, Image> known = new ConcurrentHashMap<>();
    private final Supplier<ReleaseService> releases;
    private final AtomicLong lastListing = new AtomicLong(System.nanoTime() - RELIST_NANOS);

    public ReleaseImages(Supplier<ReleaseService> releases) {
        this.releases = releases;
    }

    public void learn(Release release) {
        Image image = new Image(release.cid(), release.id(), release.size());
        known.put(release.cid(), image);
        known.put(release.cid().toV1(), image);
    }

    public Optional<Image> find(Cid cid) {
        Image image = known.get(cid);
        if (image != null) {
            return Optional.of(image);
        }
        ReleaseService service = releases.get();
        long last = lastListing.get();
        long now = System.nanoTime();
        if (service != null && now - last >= RELIST_NANOS && lastListing.compareAndSet(last, now)) {
            service.list().forEach(this::learn);
        }
        return Optional.ofNullable(known.get(cid));
    }
}
