package org.updraft.core.mcuboot;

/** Why an MCUboot image, or the input to sign one, was refused. Each has a stable code for scripts and logs. */
public enum ImageProblem {
    /** The file ends before a structure the header or a TLV area announces. */
    TRUNCATED("truncated"),
    /** The file does not start with MCUboot's magic 0x96f3b83d: not an MCUboot image, or a big-endian one. */
    BAD_MAGIC("bad-magic"),
    /** A header field is impossible (header smaller than 32 bytes, ...). */
    BAD_HEADER("bad-header"),
    /** A TLV area is malformed, a TLV is in the wrong area, or a TLV has the wrong length. */
    BAD_TLV("bad-tlv"),
    /** The image uses a feature this library does not check (encryption, a hash or key type it lacks). */
    UNSUPPORTED("unsupported"),
    /** The hash TLV does not match header, payload and protected TLVs: the image was altered. */
    INVALID_HASH("invalid-hash"),
    /** No signature TLV verifies under the given key (none there, another key's, another algorithm's, altered). */
    NO_SIGNATURE("no-signature"),
    /** The image and its trailer do not fit the slot. */
    TOO_LARGE("too-large"),
    /** The image's security counter breaks {@link SecurityCounterRule}. */
    SECURITY_COUNTER("security-counter"),
    /** The firmware to sign is not what the options say (no zeroed header room without --pad-header, ...). */
    BAD_INPUT("bad-input");

    private final String code;

    ImageProblem(String code) {
        this.code = code;
    }

    /** The stable, kebab-case code, e.g. {@code invalid-hash}. */
    public String code() {
        return code;
    }
}
