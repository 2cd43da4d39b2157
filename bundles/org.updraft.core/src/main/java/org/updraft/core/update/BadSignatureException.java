package org.updraft.core.update;

/**
 * A device payload is well formed but not signed by the key it must be signed by: another key signed it, or
 * the signature does not verify. Transports answer it as a refusal (CoAP 4.03), not as a malformed request.
 */
public class BadSignatureException extends UpdateFormatException {

    private static final long serialVersionUID = 1L;

    public BadSignatureException(String message) {
        super(message);
    }
}
