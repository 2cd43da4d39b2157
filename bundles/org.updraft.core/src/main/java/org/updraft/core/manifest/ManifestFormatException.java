package org.updraft.core.manifest;

/** Bytes that are not a well-formed signed manifest. */
public class ManifestFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    public ManifestFormatException(String message) {
        super(message);
    }
}
