package org.updraft.core.manifest;

/** Why a manifest or image was refused. Each has a stable code for scripts, logs and the ledger. */
public enum Failure {
    MALFORMED("malformed-manifest"),
    BAD_SIGNATURE("bad-signature"),
    /** The signed checkpoint does not verify under the log key the device was provisioned with. */
    BAD_CHECKPOINT("bad-checkpoint"),
    /** The release event is not on the path to the checkpoint's root: the ledger never recorded this release. */
    BAD_PROOF("bad-proof"),
    UNTRUSTED_SIGNER("untrusted-signer"),
    /** Trust could not be consulted (the platform's trust backend is down): nothing is trusted then. */
    TRUST_UNAVAILABLE("trust-unavailable"),
    REVOKED_SIGNER("revoked-signer"),
    ROTATED_SIGNER("rotated-signer"),
    WRONG_VENDOR("wrong-vendor"),
    CLASS_NOT_AUTHORIZED("class-not-authorized"),
    WRONG_CLASS("wrong-class"),
    WRONG_PROFILE("wrong-profile"),
    SEQUENCE_NOT_NEWER("sequence-not-newer"),
    INSTALLED_VERSION_TOO_OLD("installed-version-too-old"),
    SIZE_MISMATCH("size-mismatch"),
    DIGEST_MISMATCH("digest-mismatch"),
    CID_MISMATCH("cid-mismatch"),
    /**
     * The log showed the device a checkpoint that does not extend the one it verified before (no consistency
     * proof, or one that fails): someone holding the log key shows it a forked log. Nothing is installed.
     */
    LOG_FORK("log-fork"),
    /**
     * A patch offered with a release was refused by its codec, or the image it rebuilt is not the one the signed
     * manifest describes: the device gives the patch up and downloads the full image (docs/coap-api.md).
     */
    DELTA_MISMATCH("delta-mismatch");

    private final String code;

    Failure(String code) {
        this.code = code;
    }

    /** The stable, kebab-case code, e.g. {@code revoked-signer}. */
    public String code() {
        return code;
    }
}
