package org.updraft.core.cose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborTag;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

class CoseSign1Test {

    private static final String TYPE = "application/test+cbor";
    private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void signedMessagesVerifyWithTheSignersKeyOnly(KeyAlgorithm algorithm) throws CoseException {
        SigningKey key = SigningKey.generate(algorithm);
        byte[] message = CoseSign1.sign(PAYLOAD, TYPE, key);
        CoseSign1 decoded = CoseSign1.decode(message, TYPE);
        assertEquals(key.did(), decoded.kid());
        assertEquals(algorithm, decoded.algorithm());
        assertArrayEquals(PAYLOAD, decoded.payload());
        assertTrue(decoded.verify(key.verificationKey()));
        assertFalse(decoded.verify(SigningKey.generate(algorithm).verificationKey()));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void anyChangedByteBreaksTheSignatureOrTheFormat(KeyAlgorithm algorithm) {
        SigningKey key = SigningKey.generate(algorithm);
        byte[] message = CoseSign1.sign(PAYLOAD, TYPE, key);
        for (int i = 0; i < message.length; i++) {
            byte[] tampered = message.clone();
            tampered[i] ^= 0x01;
            boolean accepted;
            try {
                accepted = CoseSign1.decode(tampered, TYPE).verify(key.verificationKey());
            } catch (CoseException e) {
                accepted = false;
            }
            assertFalse(accepted, "byte " + i + " flipped and still accepted");
        }
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aMessageOfAnotherContentTypeIsRefused(KeyAlgorithm algorithm) {
        byte[] message = CoseSign1.sign(PAYLOAD, "application/other+cbor", SigningKey.generate(algorithm));
        CoseException e = assertThrows(CoseException.class, () -> CoseSign1.decode(message, TYPE));
        assertTrue(e.getMessage().contains("content type"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void structureIsCheckedBeforeAnySignature(KeyAlgorithm algorithm) {
        assertThrows(CoseException.class, () -> CoseSign1.decode(Cbor.encode(List.of(1L)), TYPE));
        assertThrows(CoseException.class, () -> CoseSign1.decode(Cbor.encode(new CborTag(18, List.of())), TYPE));
        byte[] unprotected = Cbor.encode(new CborTag(18, List.of(Cbor.encode(Map.of(1L, -8L)),
                Map.of(4L, new byte[] {1}), PAYLOAD, new byte[64])));
        assertThrows(CoseException.class, () -> CoseSign1.decode(unprotected, TYPE));
        byte[] badAlg = Cbor.encode(new CborTag(18, List.of(Cbor.encode(Map.of(1L, -35L, 3L, TYPE, 4L, new byte[] {1})),
                Map.of(), PAYLOAD, new byte[64])));
        CoseException e = assertThrows(CoseException.class, () -> CoseSign1.decode(badAlg, TYPE));
        assertTrue(e.getMessage().contains("unsupported COSE algorithm -35"), e.getMessage());
    }
}
