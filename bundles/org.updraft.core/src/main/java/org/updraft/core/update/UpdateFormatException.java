package org.updraft.core.update;

/** A device payload (answer, report, enrollment) is malformed; the message names what, in one line. */
public class UpdateFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    public UpdateFormatException(String message) {
        super(message);
    }
}
