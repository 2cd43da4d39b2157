package org.updraft.benchmarks;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.updraft.api.device.Device;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.release.progress.PublishProgress;
import org.updraft.api.store.StoredObject;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;

/**
 * The platform side the delivery rows (4: CoAP, 8: MQTT) need and nothing more: one published release the
 * transport finds the image by, and a count of bytes served. Update checks, reports and enrollment are not part of
 * these rows and refuse.
 */
final class OneRelease implements ReleaseService, UpdateService {
    private final Release release;
    final AtomicLong served = new AtomicLong();

    OneRelease(byte[] image, byte[] sha, StoredObject stored) {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        Manifest m = new Manifest("acme", "thermo-v2", null, "2.0.0", 2, image.length, sha, stored.cid(), null,
                Instant.now(), key.did());
        release = new Release(m.releaseId(), "acme", "thermo-v2", null, "2.0.0", 2, image.length, sha,
                stored.cid(), key.did(), m.created(), Instant.now(), 0, ManifestCodec.sign(m, key));
    }

    @Override
    public Release publish(byte[] manifest, Path firmware, String deviceClass, PublishProgress progress,
            String actor) throws ReleaseException {
        throw new ReleaseException("unsupported", "the delivery benchmark publishes nothing");
    }

    @Override
    public List<Release> list() {
        return List.of(release);
    }

    @Override
    public Optional<Release> find(String id) {
        return release.id().equals(id) ? Optional.of(release) : Optional.empty();
    }

    @Override
    public UpdateAnswer check(String deviceId, long installedSequence) throws UpdateException {
        throw new UpdateException("unsupported", "the delivery benchmark answers no update checks");
    }

    @Override
    public ReportReceipt report(byte[] signedReport) throws UpdateException {
        throw new UpdateException("unsupported", "the delivery benchmark takes no reports");
    }

    @Override
    public Device enroll(byte[] signedEnrollment) throws UpdateException {
        throw new UpdateException("unsupported", "the delivery benchmark enrolls no devices");
    }

    @Override
    public ConsistencyProof consistency(long firstSize, long secondSize) throws UpdateException {
        throw new UpdateException("unsupported", "the delivery benchmark has no log");
    }

    @Override
    public byte[] statement(String deviceId, UpdateAnswer answer, byte[] nonce) throws UpdateException {
        throw new UpdateException("unsupported", "the delivery benchmark answers no update checks");
    }

    @Override
    public String statementKey() {
        return "did:key:none";
    }

    @Override
    public void bytesServed(String releaseId, long bytes) {
        served.addAndGet(bytes);
    }
}
