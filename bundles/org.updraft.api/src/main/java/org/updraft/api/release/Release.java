package org.updraft.api.release;

import java.time.Instant;

import org.updraft.api.multiformats.Cid;

/**
 * A published release.
 *
 * @param id {@code vendor/class/sequence}, unique
 * @param vendor vendor id from the manifest
 * @param deviceClass device class id from the manifest
 * @param profile device profile from the manifest, or {@code null}
 * @param version semantic version from the manifest
 * @param sequence monotonic sequence number from the manifest
 * @param size image size in bytes
 * @param sha256 image SHA-256
 * @param cid image CID
 * @param signer did:key of the manufacturer key that signed the manifest
 * @param created when the manifest was signed
 * @param published when the platform recorded it
 * @param ledgerIndex index of its {@code release.published} event
 * @param manifest the signed manifest bytes, as devices receive them
 */
public record Release(String id, String vendor, String deviceClass, String profile, String version, long sequence,
        long size, byte[] sha256, Cid cid, String signer, Instant created, Instant published, long ledgerIndex,
        byte[] manifest) {

    public Release {
        sha256 = sha256.clone();
        manifest = manifest.clone();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    @Override
    public byte[] manifest() {
        return manifest.clone();
    }

    /** The id a release of these coordinates has. */
    public static String id(String vendor, String deviceClass, long sequence) {
        return vendor + "/" + deviceClass + "/" + sequence;
    }
}
