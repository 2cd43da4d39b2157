package org.updraft.core.mcuboot;

/**
 * An MCUboot image was refused: {@link #problem()} says which check failed, the message says it to a person in
 * one line, e.g. "image 0x21000 bytes larger than slot 0x20000 minus trailer 0x630".
 */
public class ImageException extends Exception {

    private static final long serialVersionUID = 1L;

    private final ImageProblem problem;

    public ImageException(ImageProblem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public ImageProblem problem() {
        return problem;
    }
}
