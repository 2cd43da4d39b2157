package org.updraft.core.cose;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.cbor.CborTag;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/**
 * A COSE_Sign1 message (RFC 9052 §4.2): {@code 18([protected, unprotected, payload, signature])}, the
 * signature computed over {@code ["Signature1", protected, h'', payload]}.
 *
 * <p>Updraft puts everything in the protected header, so it is signed: the algorithm (1), the content type
 * (3), which tells a manifest from a checkpoint so one can never be passed off as the other, and the key id
 * (4), the signer's did:key in UTF-8. The unprotected header is empty.
 */
public final class CoseSign1 {

    /** The CBOR tag of COSE_Sign1. */
    public static final long TAG = 18;

    private static final long ALG = 1;
    private static final long CONTENT_TYPE = 3;
    private static final long KID = 4;

    private final byte[] protectedHeader;
    private final KeyAlgorithm algorithm;
    private final String contentType;
    private final String kid;
    private final byte[] payload;
    private final byte[] signature;

    private CoseSign1(byte[] protectedHeader, KeyAlgorithm algorithm, String contentType, String kid, byte[] payload,
            byte[] signature) {
        this.protectedHeader = protectedHeader;
        this.algorithm = algorithm;
        this.contentType = contentType;
        this.kid = kid;
        this.payload = payload;
        this.signature = signature;
    }

    /** Signs {@code payload} and returns the tagged COSE_Sign1 bytes. */
    public static byte[] sign(byte[] payload, String contentType, SigningKey key) {
        Map<Object, Object> header = new TreeMap<>();
        header.put(ALG, (long) key.algorithm().coseAlgorithm());
        header.put(CONTENT_TYPE, contentType);
        header.put(KID, key.did().getBytes(StandardCharsets.UTF_8));
        byte[] protectedHeader = Cbor.encode(header);
        byte[] signature = key.sign(toBeSigned(protectedHeader, payload));
        return Cbor.encode(new CborTag(TAG, List.of(protectedHeader, Map.of(), payload, signature)));
    }

    /**
     * Parses a COSE_Sign1 without checking its signature: read {@link #kid()} to find the key, then
     * {@link #verify}.
     *
     * @param expectedContentType the content type the caller accepts; anything else is refused
     * @throws CoseException naming what is malformed
     */
    public static CoseSign1 decode(byte[] bytes, String expectedContentType) throws CoseException {
        try {
            Object item = Cbor.decode(bytes);
            if (!(item instanceof CborTag tag) || tag.tag() != TAG) {
                throw new CoseException("not a COSE_Sign1 message (CBOR tag 18 expected)");
            }
            if (!(tag.value() instanceof List<?> parts) || parts.size() != 4) {
                throw new CoseException("COSE_Sign1 must be an array of 4 elements");
            }
            if (!(parts.get(0) instanceof byte[] protectedHeader)) {
                throw new CoseException("COSE_Sign1 protected header must be a byte string");
            }
            if (!(parts.get(1) instanceof Map<?, ?> unprotected) || !unprotected.isEmpty()) {
                throw new CoseException("COSE_Sign1 unprotected header must be an empty map");
            }
            if (!(parts.get(2) instanceof byte[] payload)) {
                throw new CoseException("COSE_Sign1 payload must be an attached byte string");
            }
            if (!(parts.get(3) instanceof byte[] signature)) {
                throw new CoseException("COSE_Sign1 signature must be a byte string");
            }
            CborMap header = CborMap.decode("COSE protected header", protectedHeader)
                    .onlyKeys(List.of(ALG, CONTENT_TYPE, KID));
            KeyAlgorithm algorithm;
            try {
                algorithm = KeyAlgorithm.fromCose(header.integer(ALG));
            } catch (IllegalArgumentException e) {
                throw new CoseException(e.getMessage());
            }
            String contentType = header.text(CONTENT_TYPE);
            if (!contentType.equals(expectedContentType)) {
                throw new CoseException("COSE content type is '" + contentType + "', expected '"
                        + expectedContentType + "'");
            }
            String kid = new String(header.bytes(KID), StandardCharsets.UTF_8);
            return new CoseSign1(protectedHeader, algorithm, contentType, kid, payload, signature);
        } catch (CborException e) {
            throw new CoseException(e.getMessage());
        }
    }

    private static byte[] toBeSigned(byte[] protectedHeader, byte[] payload) {
        return Cbor.encode(List.of("Signature1", protectedHeader, new byte[0], payload));
    }

    /**
     * Whether the signature is valid for {@code key}. The key's algorithm must be the one the header names
     * and its DID the header's key id: a message signed by one key never verifies under another.
     */
    public boolean verify(VerificationKey key) {
        return key.algorithm() == algorithm && key.did().equals(kid)
                && key.verify(toBeSigned(protectedHeader, payload), signature);
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    public String contentType() {
        return contentType;
    }

    /** The signer's did:key, as the protected header names it (not yet verified). */
    public String kid() {
        return kid;
    }

    /** The signed payload (not yet verified until {@link #verify} says so). */
    public byte[] payload() {
        return payload.clone();
    }

    public byte[] signature() {
        return signature.clone();
    }
}
