package org.updraft.core.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Updraft keys as the JDK holds them (for DTLS stacks), and back. */
class JcaKeysTest {

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aKeyIsTheSameKeyInTheJdkAndBack(KeyAlgorithm algorithm) throws Exception {
        SigningKey key = SigningKey.generate(algorithm);

        assertEquals(key.verificationKey(), JcaKeys.verificationKey(JcaKeys.publicKey(key.verificationKey())));

        // what the JDK signs with the private key, Updraft verifies with the public one
        byte[] data = "a DTLS handshake".getBytes(StandardCharsets.UTF_8);
        Signature signer = Signature.getInstance(algorithm == KeyAlgorithm.ED25519 ? "Ed25519"
                : "SHA256withECDSAinP1363Format");
        signer.initSign(JcaKeys.privateKey(key));
        signer.update(data);
        assertTrue(key.verificationKey().verify(data, signer.sign()));
    }

    @Test
    void aJdkKeyOfAnotherCurveIsRefused() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp384r1"));
        assertThrows(IllegalArgumentException.class,
                () -> JcaKeys.verificationKey(generator.generateKeyPair().getPublic()));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        assertThrows(IllegalArgumentException.class, () -> JcaKeys.verificationKey(rsa.generateKeyPair().getPublic()));
    }
}
