package org.updraft.core.manifest;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.api.multiformats.Cid;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.cose.CoseException;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.SigningKey;

/**
 * The bytes of a manifest: a COSE_Sign1 (content type {@value #CONTENT_TYPE}) whose payload is a
 * deterministic CBOR map with these fields, named after RFC 9124's information model:
 *
 * <pre>
 * "manifest-version"       uint  1 — the format of this map
 * "sequence-number"        uint  monotonic, anti-rollback
 * "vendor-id"              text
 * "class-id"               text
 * "device-profile"         text  optional
 * "image-version"          text  semantic version
 * "image-size"             uint  bytes
 * "image-digest"           [-16, bstr(32)]  COSE algorithm id of SHA-256, digest
 * "payload-indicator"      text  "ipfs://" + CID
 * "required-image-version" text  optional: minimum installed version
 * "creation-time"          uint  seconds since the epoch
 * "signer"                 text  did:key, equal to the COSE key id
 * </pre>
 *
 * Unknown fields are refused, so a manifest means exactly what this class says it means.
 */
public final class ManifestCodec {

    public static final String CONTENT_TYPE = "application/vnd.updraft.manifest+cbor";
    public static final long FORMAT_VERSION = 1;
    /** COSE algorithm identifier of SHA-256 (RFC 9054). */
    static final long SHA_256 = -16;
    static final String IPFS_SCHEME = "ipfs://";
    /** Larger than any manifest; refusing bigger input bounds what a hostile upload can make us parse. */
    public static final int MAX_MANIFEST_BYTES = 16 * 1024;

    private static final String F_VERSION = "manifest-version";
    private static final String F_SEQUENCE = "sequence-number";
    private static final String F_VENDOR = "vendor-id";
    private static final String F_CLASS = "class-id";
    private static final String F_PROFILE = "device-profile";
    private static final String F_IMAGE_VERSION = "image-version";
    private static final String F_SIZE = "image-size";
    private static final String F_DIGEST = "image-digest";
    private static final String F_PAYLOAD = "payload-indicator";
    private static final String F_REQUIRED = "required-image-version";
    private static final String F_CREATED = "creation-time";
    private static final String F_SIGNER = "signer";
    private static final List<String> FIELDS = List.of(F_VERSION, F_SEQUENCE, F_VENDOR, F_CLASS, F_PROFILE,
            F_IMAGE_VERSION, F_SIZE, F_DIGEST, F_PAYLOAD, F_REQUIRED, F_CREATED, F_SIGNER);

    private ManifestCodec() {
    }

    /** The payload the signature covers. */
    public static byte[] encodePayload(Manifest m) {
        Map<Object, Object> map = new TreeMap<>();
        map.put(F_VERSION, FORMAT_VERSION);
        map.put(F_SEQUENCE, m.sequence());
        map.put(F_VENDOR, m.vendor());
        map.put(F_CLASS, m.deviceClass());
        if (m.profile() != null) {
            map.put(F_PROFILE, m.profile());
        }
        map.put(F_IMAGE_VERSION, m.version());
        map.put(F_SIZE, m.size());
        map.put(F_DIGEST, List.of(SHA_256, m.sha256()));
        map.put(F_PAYLOAD, IPFS_SCHEME + m.cid());
        if (m.minimumInstalledVersion() != null) {
            map.put(F_REQUIRED, m.minimumInstalledVersion());
        }
        map.put(F_CREATED, m.created().getEpochSecond());
        map.put(F_SIGNER, m.signer());
        return Cbor.encode(map);
    }

    /**
     * Signs a manifest.
     *
     * @throws IllegalArgumentException when the manifest names another signer than {@code key}
     */
    public static byte[] sign(Manifest manifest, SigningKey key) {
        if (!manifest.signer().equals(key.did())) {
            throw new IllegalArgumentException("manifest names signer " + manifest.signer() + " but the key is "
                    + key.did());
        }
        return CoseSign1.sign(encodePayload(manifest), CONTENT_TYPE, key);
    }

    /**
     * Parses signed manifest bytes, checking structure only (not the signature: see {@link ManifestVerifier}).
     *
     * @throws ManifestFormatException saying what is malformed
     */
    public static SignedManifest parse(byte[] bytes) throws ManifestFormatException {
        if (bytes == null || bytes.length == 0) {
            throw new ManifestFormatException("the manifest is empty");
        }
        if (bytes.length > MAX_MANIFEST_BYTES) {
            throw new ManifestFormatException("the manifest has " + bytes.length + " bytes, more than the "
                    + MAX_MANIFEST_BYTES + " a manifest may have");
        }
        CoseSign1 envelope;
        try {
            envelope = CoseSign1.decode(bytes, CONTENT_TYPE);
        } catch (CoseException e) {
            throw new ManifestFormatException("not a signed Updraft manifest: " + e.getMessage());
        }
        Manifest manifest;
        try {
            manifest = decodePayload(envelope.payload());
        } catch (CborException | IllegalArgumentException e) {
            throw new ManifestFormatException("malformed manifest: " + e.getMessage());
        }
        if (!manifest.signer().equals(envelope.kid())) {
            throw new ManifestFormatException("malformed manifest: it names signer " + manifest.signer()
                    + " but its signature claims key " + envelope.kid());
        }
        return new SignedManifest(manifest, envelope, bytes);
    }

    static Manifest decodePayload(byte[] payload) throws CborException {
        CborMap map = CborMap.decode("manifest", payload).onlyKeys(FIELDS);
        long format = map.unsigned(F_VERSION);
        if (format != FORMAT_VERSION) {
            throw new CborException("manifest format version " + format + " is not supported (expected "
                    + FORMAT_VERSION + ")");
        }
        List<?> digest = map.list(F_DIGEST);
        if (digest.size() != 2 || !Long.valueOf(SHA_256).equals(digest.get(0))
                || !(digest.get(1) instanceof byte[] sha256)) {
            throw new CborException("manifest: field 'image-digest' must be [-16, SHA-256 digest]");
        }
        String payloadIndicator = map.text(F_PAYLOAD);
        if (!payloadIndicator.startsWith(IPFS_SCHEME)) {
            throw new CborException("manifest: field 'payload-indicator' must be an ipfs:// URI");
        }
        Cid cid = Cid.parse(payloadIndicator.substring(IPFS_SCHEME.length()));
        return new Manifest(map.text(F_VENDOR), map.text(F_CLASS), map.optionalText(F_PROFILE),
                map.text(F_IMAGE_VERSION), map.unsigned(F_SEQUENCE), map.unsigned(F_SIZE), sha256, cid,
                map.optionalText(F_REQUIRED), Instant.ofEpochSecond(map.unsigned(F_CREATED)), map.text(F_SIGNER));
    }
}
