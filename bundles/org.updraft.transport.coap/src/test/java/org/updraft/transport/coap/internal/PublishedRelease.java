package org.updraft.transport.coap.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.SignedManifest;
import org.updraft.core.update.UpdateAnswers;

/**
 * A release as the platform publishes it, built from real parts: a manifest signed by a vendor key over the
 * image the store holds, its release.published event in a small Merkle log, and a checkpoint signed by the log
 * key. {@link #offer} is the offer the rollout engine would make for it.
 */
final class PublishedRelease {

    static final String VENDOR = "acme";
    static final String DEVICE_CLASS = "thermo-v2";

    final SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
    final SigningKey logKey = SigningKey.generate(KeyAlgorithm.ED25519);
    final Release release;
    final byte[] eventBytes;
    final InclusionProof proof;
    final Checkpoint checkpoint;
    /** The small log the release is in, for consistency proofs. */
    final MemoryMerkleTree tree;

    PublishedRelease(byte[] image, Cid cid, long sequence) throws Exception {
        byte[] sha = ImageFacts.newDigest().digest(image);
        Instant created = Instant.parse("2026-11-20T10:00:00Z");
        Manifest m = new Manifest(VENDOR, DEVICE_CLASS, null, "1." + sequence + ".0", sequence, image.length, sha, cid,
                null, created, vendorKey.did());
        byte[] manifest = ManifestCodec.sign(m, vendorKey);
        SignedManifest signed = ManifestCodec.parse(manifest);
        LedgerEvent published = new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.parse("2026-11-21T00:00:00Z"),
                vendorKey.did(), ReleaseEvents.published(signed), null);
        List<byte[]> leaves = new ArrayList<>();
        int index = 5;
        for (int i = 0; i < 9; i++) {
            LedgerEvent e = i == index ? published
                    : new LedgerEvent("test.filler", Instant.ofEpochSecond(i), "x", Cbor.encode(Map.of("i", (long) i)),
                            null);
            leaves.add(LedgerEventCodec.leafHash(e));
        }
        this.tree = MemoryMerkleTree.of(leaves);
        this.checkpoint = CheckpointCodec.sign("test-log", leaves.size(), tree.rootHash(), Instant.now(), logKey);
        this.proof = MerkleTree.inclusionProof(tree, index, leaves.size());
        this.eventBytes = LedgerEventCodec.encode(published);
        this.release = new Release(m.releaseId(), VENDOR, DEVICE_CLASS, null, m.version(), sequence, image.length,
                sha, cid, vendorKey.did(), created, published.time(), index, manifest);
    }

    UpdateAnswer.Offer offer(String rolloutId) {
        UpdateAnswer.Offer untagged = new UpdateAnswer.Offer(rolloutId, release, eventBytes, proof, checkpoint,
                null, new byte[0]);
        return new UpdateAnswer.Offer(rolloutId, release, eventBytes, proof, checkpoint, null,
                UpdateAnswers.tagOf(UpdateAnswers.encode(untagged)));
    }
}
