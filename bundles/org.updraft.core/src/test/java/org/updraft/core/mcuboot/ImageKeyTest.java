package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFileException;
import org.updraft.core.identity.KeyFiles;

/** Key files as imgtool reads them, and the key hash MCUboot names a key by. */
class ImageKeyTest {

    static Path dir;

    @BeforeAll
    static void scratch() throws Exception {
        dir = Files.createDirectories(Path.of("target", "mcuboot-keys"));
    }

    @Test
    void keyHashIsImgtoolsGetpubhash() throws Exception {
        for (String name : new String[] {"fx-ed25519", "fx-ecdsa-p256"}) {
            byte[] expected = McubootFixtures.bytes(name + ".pubhash.bin");
            assertArrayEquals(expected, ImageKey.read(McubootFixtures.file(name + ".pem")).keyHash(ImageHash.SHA256));
            assertArrayEquals(expected, ImageKey.read(McubootFixtures.file(name + ".pub.pem"))
                    .keyHash(ImageHash.SHA256));
            assertArrayEquals(expected, ImageSigningKey.read(McubootFixtures.file(name + ".pem")).imageKey()
                    .keyHash(ImageHash.SHA256));
        }
        assertEquals(44, ImageKey.read(McubootFixtures.file("fx-ed25519.pub.pem")).subjectPublicKeyInfo().length);
        assertEquals(91, ImageKey.read(McubootFixtures.file("fx-ecdsa-p256.pub.pem")).subjectPublicKeyInfo().length);
    }

    @Test
    void aKeyIsTheSameAsTheIdentityOfItsDidKey() throws Exception {
        for (String name : new String[] {"fx-ed25519.pub.pem", "fx-ecdsa-p256.pub.pem"}) {
            ImageKey key = ImageKey.read(McubootFixtures.file(name));
            assertEquals(key, ImageKey.of(key.verificationKey()));
            assertEquals(key, ImageKey.of(KeyFiles.readPublicKey(McubootFixtures.file(name))));
        }
        assertEquals(KeyAlgorithm.P256, ImageKey.read(McubootFixtures.file("fx-ecdsa-p256.pub.pem")).algorithm());
    }

    @Test
    void readsSec1EcPrivateKeys() throws Exception {
        // what `openssl ecparam -genkey` writes: the fixture's P-256 key as "EC PRIVATE KEY"
        PemObject pkcs8;
        try (PemReader r = new PemReader(Files.newBufferedReader(McubootFixtures.file("fx-ecdsa-p256.pem")))) {
            pkcs8 = r.readPemObject();
        }
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8.getContent());
        ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
        byte[] sec1 = new ECPrivateKey(256, inner.getKey(), inner.getPublicKey(),
                info.getPrivateKeyAlgorithm().getParameters()).getEncoded();
        Path file = dir.resolve("sec1.pem");
        try (PemWriter w = new PemWriter(Files.newBufferedWriter(file))) {
            w.writeObject(new PemObject("EC PRIVATE KEY", sec1));
        }
        assertArrayEquals(McubootFixtures.bytes("fx-ecdsa-p256.pubhash.bin"),
                ImageSigningKey.read(file).imageKey().keyHash(ImageHash.SHA256));
    }

    @Test
    void refusesWhatIsNotAUsableKey() throws Exception {
        assertTrue(assertThrows(KeyFileException.class, () -> ImageSigningKey.read(McubootFixtures.file(
                "fx-ed25519.pub.pem"))).getMessage().contains("holds a public key; signing needs the private key"));
        assertTrue(assertThrows(KeyFileException.class, () -> ImageKey.read(dir.resolve("missing.pem")))
                .getMessage().contains("does not exist"));
        assertTrue(assertThrows(KeyFileException.class, () -> ImageKey.read(McubootFixtures.file("fw.bin")))
                .getMessage().contains("not a PEM key file"));
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n");
        assertTrue(assertThrows(KeyFileException.class, () -> ImageKey.read(garbage)).getMessage()
                .contains("is corrupt: its PRIVATE KEY block is not PKCS#8"));
        Path encrypted = dir.resolve("encrypted.pem");
        Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertTrue(assertThrows(KeyFileException.class, () -> ImageSigningKey.read(encrypted)).getMessage()
                .contains("is encrypted"));
    }
}
