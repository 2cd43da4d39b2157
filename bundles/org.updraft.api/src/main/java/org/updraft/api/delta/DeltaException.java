package org.updraft.api.delta;

/**
 * A patch was refused, or could not be made. {@link #reason()} says which rule it broke, as a stable code a
 * device can report; the message explains it to a person.
 */
public class DeltaException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a patch was refused. */
    public enum Reason {
        /** Not a patch of this codec, or it breaks the format's rules: garbage. */
        MALFORMED("malformed"),
        /** It ends before what its own headers declare. */
        TRUNCATED("truncated"),
        /**
         * A checksum inside the patch does not match what it decodes to: the patch was damaged, or (for a
         * checksum of the rebuilt bytes) applied to another base.
         */
        CORRUPT("corrupt"),
        /** It was made from another base: the base's digest differs, or it reads past the base's end. */
        BASE_MISMATCH("base-mismatch"),
        /** It declares, or would write, more bytes than the expected target size: an expanding patch. */
        TOO_LARGE("too-large"),
        /** It ends before building the expected target size, or declares a smaller size. */
        TOO_SHORT("too-short"),
        /** Applying it needs more working memory than allowed, or a budget is below the codec's minimum. */
        MEMORY("memory"),
        /** A valid patch using a feature this codec does not implement, or an image larger than it handles. */
        UNSUPPORTED("unsupported");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        /** The stable code, e.g. {@code base-mismatch}. */
        public String code() {
            return code;
        }
    }

    private final Reason reason;

    public DeltaException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DeltaException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
