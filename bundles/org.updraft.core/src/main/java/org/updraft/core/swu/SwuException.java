package org.updraft.core.swu;

/**
 * A {@code .swu} was refused: {@link #problem()} is a stable kebab-case code ({@code bad-archive},
 * {@code bad-signature}, {@code invalid-hash}, ...), the message says it to a person in one line, e.g.
 * "image rootfs.ext4 in the .swu does not match its sha256 in sw-description".
 */
public class SwuException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String problem;

    public SwuException(String problem, String message) {
        super(message);
        this.problem = problem;
    }

    public SwuException(String problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public String problem() {
        return problem;
    }
}
