package org.updraft.core.manifest;

/** A manifest or image failed one check; {@link #failure()} says which, the message says it to a person. */
public class VerificationException extends Exception {

    private static final long serialVersionUID = 1L;

    private final Failure failure;

    public VerificationException(Failure failure, String message) {
        super(message);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }
}
