package org.updraft.core.serving;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.updraft.api.delta.Delta;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.update.UpdateAnswer;

/**
 * What a transport serves (CoAP's /fw, MQTT's block requests), by CID (v0 or v1 text of the same content): the
 * images of published releases and the patches of recorded deltas (the ledger's {@code delta.published}), never
 * any other object of the store. Each with the release it belongs to (a patch belongs to the release it builds;
 * for {@code UpdateService.bytesServed}) and its size (for block bounds). Learned from the offers the transport
 * hands out and, for a CID it has not offered, from the release and delta services — asked at most once a second,
 * so requests for unknown CIDs cannot turn into a flood of listings.
 */
public final class ReleaseImages {

    /** An image of a published release, or the patch of a recorded delta to that release. */
    public record Image(Cid cid, String releaseId, long size) {
    }

    private static final long RELIST_NANOS = 1_000_000_000L;

    private final ConcurrentHashMap<Cid, Image> known = new ConcurrentHashMap<>();
    private final Supplier<ReleaseService> releases;
    private final Supplier<ReleaseDeltas> deltas;
    private final AtomicLong lastListing = new AtomicLong(System.nanoTime() - RELIST_NANOS);

    /** Images of published releases only. */
    public ReleaseImages(Supplier<ReleaseService> releases) {
        this(releases, () -> null);
    }

    /** Images of published releases and patches of recorded deltas; either service may be absent (null). */
    public ReleaseImages(Supplier<ReleaseService> releases, Supplier<ReleaseDeltas> deltas) {
        this.releases = releases;
        this.deltas = deltas;
    }

    public void learn(Release release) {
        put(release.cid(), new Image(release.cid(), release.id(), release.size()));
    }

    /** The offer's release image, and its delta's patch when it carries one (recorded on the ledger). */
    public void learn(UpdateAnswer.Offer offer) {
        learn(offer.release());
        if (offer.delta() != null) {
            learn(offer.delta());
        }
    }

    public void learn(Delta delta) {
        put(delta.patch(), new Image(delta.patch(), delta.toRelease(), delta.patchSize()));
    }

    private void put(Cid cid, Image image) {
        known.put(cid, image);
        known.put(cid.toV1(), image);
    }

    public Optional<Image> find(Cid cid) {
        Image image = known.get(cid);
        if (image != null) {
            return Optional.of(image);
        }
        long last = lastListing.get();
        long now = System.nanoTime();
        if (now - last >= RELIST_NANOS && lastListing.compareAndSet(last, now)) {
            ReleaseService service = releases.get();
            if (service != null) {
                service.list().forEach(this::learn);
            }
            ReleaseDeltas recorded = deltas.get();
            if (recorded != null) {
                recorded.list().forEach(this::learn);
            }
        }
        return Optional.ofNullable(known.get(cid));
    }
}
