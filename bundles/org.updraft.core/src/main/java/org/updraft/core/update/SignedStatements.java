package org.updraft.core.update;

import java.time.DateTimeException;
import java.util.List;

import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.cose.CoseException;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.VerificationKey;

/**
 * How a device opens what the platform's statement key signed (an answer's statement, a session's): a bounded size,
 * the COSE_Sign1 of its own content type, the signature checked before a field is read, only the fields it may have.
 * One rule for both, so that neither is opened more loosely than the other.
 */
final class SignedStatements {

    /** Reads the statement's fields, once its signature holds. */
    @FunctionalInterface
    interface Fields<T> {
        T read(CborMap map) throws CborException, UpdateFormatException;
    }

    private SignedStatements() {
    }

    /**
     * @param what the statement's name in messages ("statement", "session statement")
     * @throws UpdateFormatException when it is larger than {@code maxBytes}, malformed, or not signed by {@code key}
     */
    static <T> T open(String what, byte[] bytes, int maxBytes, String contentType, List<String> fields,
            VerificationKey key, Fields<T> read) throws UpdateFormatException {
        if (bytes.length > maxBytes) {
            throw new UpdateFormatException("the " + what + " has " + bytes.length + " bytes, more than the "
                    + maxBytes + " allowed");
        }
        try {
            CoseSign1 envelope = CoseSign1.decode(bytes, contentType);
            if (!envelope.verify(key)) {
                throw new UpdateFormatException("the " + what + " is not signed by the platform's statement key "
                        + key.did());
            }
            return read.read(CborMap.decode(what, envelope.payload()).onlyKeys(fields));
        } catch (CoseException | CborException | IllegalArgumentException | DateTimeException e) {
            throw new UpdateFormatException(what + ": " + e.getMessage());
        }
    }
}
