package org.updraft.core.mender;

/**
 * A Mender artifact was refused: {@link #problem()} is a stable kebab-case code ({@code bad-artifact},
 * {@code invalid-hash}, {@code bad-signature}, {@code wrong-device-type}, ...), the message says it to a person in
 * one line, e.g. "data/0000/rootfs.ext4 does not match its sha256 in the manifest".
 */
public class MenderException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String problem;

    public MenderException(String problem, String message) {
        super(message);
        this.problem = problem;
    }

    public MenderException(String problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public String problem() {
        return problem;
    }
}
