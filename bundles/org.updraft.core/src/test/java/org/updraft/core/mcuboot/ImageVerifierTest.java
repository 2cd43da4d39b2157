package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;

/** Every case of the fixtures' verify-output.txt: what imgtool accepted passes, what it refused is refused alike. */
class ImageVerifierTest {

    private final ImageVerifier verifier = new ImageVerifier();

    private static ImageKey key(String file) throws Exception {
        return file == null ? null : ImageKey.read(McubootFixtures.file(file));
    }

    /** image, key file (null: none), whether the signature was checked. */
    static Stream<Arguments> accepted() {
        return Stream.of(Arguments.of("signed-ed25519.bin", "fx-ed25519.pem"),
                Arguments.of("signed-ed25519.bin", "fx-ed25519.pub.pem"),
                Arguments.of("signed-ed25519-padded.bin", "fx-ed25519.pem"),
                Arguments.of("signed-ed25519-pure.bin", "fx-ed25519.pem"),
                Arguments.of("signed-ed25519-pure.bin", "fx-ed25519.pub.pem"),
                Arguments.of("signed-ecdsa-p256.bin", "fx-ecdsa-p256.pem"),
                Arguments.of("signed-ecdsa-p256.bin", "fx-ecdsa-p256.pub.pem"),
                Arguments.of("unsigned-hashonly.bin", null),
                Arguments.of("signed-ed25519.bin", null),
                Arguments.of("tampered-sig-ed25519.bin", null));
    }

    @ParameterizedTest(name = "{0} with key {1}")
    @MethodSource("accepted")
    void acceptsWhatImgtoolAccepted(String image, String keyFile) throws Exception {
        VerifiedImage v = verifier.verify(McubootFixtures.file(image), key(keyFile));
        assertEquals("1.2.3+45", v.version().toString());
        assertEquals(7, v.securityCounter().getAsLong());
        assertEquals(keyFile != null, v.signer().isPresent());
        if (image.contains("pure")) {
            assertTrue(v.pure());
            assertEquals(ImageHash.SHA512, v.hash());
        } else {
            assertFalse(v.pure());
            assertEquals(McubootFixtures.DIGEST, v.digestHex());
        }
    }

    /** image, key file, expected problem, words imgtool's message means. */
    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("unsigned-hashonly.bin", "fx-ed25519.pem", ImageProblem.NO_SIGNATURE, "not signed"),
                Arguments.of("tampered-ed25519.bin", "fx-ed25519.pem", ImageProblem.INVALID_HASH, "invalid hash"),
                Arguments.of("tampered-ed25519.bin", null, ImageProblem.INVALID_HASH, "invalid hash"),
                Arguments.of("signed-ed25519.bin", "fx-ecdsa-p256.pem", ImageProblem.NO_SIGNATURE,
                        "signed with ED25519 (0x24), the key is ECDSA P-256"),
                Arguments.of("signed-ecdsa-p256.bin", "fx-ed25519.pem", ImageProblem.NO_SIGNATURE,
                        "signed with ECDSASIG (0x22), the key is Ed25519"),
                Arguments.of("tampered-sig-ed25519.bin", "fx-ed25519.pem", ImageProblem.NO_SIGNATURE,
                        "signature does not verify"));
    }

    @ParameterizedTest(name = "{0} with key {1}: {2}")
    @MethodSource("refused")
    void refusesWhatImgtoolRefused(String image, String keyFile, ImageProblem problem, String words) throws Exception {
        ImageException e = assertThrows(ImageException.class,
                () -> verifier.verify(McubootFixtures.file(image), key(keyFile)));
        assertEquals(problem, e.problem(), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        if (problem == ImageProblem.NO_SIGNATURE) {
            assertTrue(e.getMessage().startsWith("no signature found for the given key"), e.getMessage());
        }
    }

    @Test
    void anotherKeyOfTheSameTypeIsNamedByItsKeyHash() throws Exception {
        // a fresh Ed25519 key: the image's KEYHASH names the fixture key, so its signature is not even tried
        Path dir = Files.createDirectories(Path.of("target", "mcuboot"));
        Path other = dir.resolve("other-ed25519.pub.pem");
        Files.deleteIfExists(other);
        KeyFiles.writePublicKey(other, SigningKey.generate(KeyAlgorithm.ED25519).verificationKey());
        ImageException e = assertThrows(ImageException.class,
                () -> verifier.verify(McubootFixtures.file("signed-ed25519.bin"), ImageKey.read(other)));
        assertEquals(ImageProblem.NO_SIGNATURE, e.problem());
        assertTrue(e.getMessage().contains("key hash c756c6ac6e5f33ec"), e.getMessage());
    }

    @Test
    void checksTheSlot() throws Exception {
        McubootImage image = verifier.verify(McubootFixtures.file("signed-ed25519-padded.bin"), null).image();
        assertEquals(0xe54, image.size());
        SlotLayout.of(0x20000, 4).check(image);
        SlotLayout.of(0xe54 + 0x630, 4).check(image);
        ImageException e = assertThrows(ImageException.class, () -> SlotLayout.of(0xe53 + 0x630, 4).check(image));
        assertEquals(ImageProblem.TOO_LARGE, e.problem());
        assertEquals("image 0xe54 bytes larger than slot 0x1483 minus trailer 0x630 (room for 0xe53 bytes)",
                e.getMessage());
        // overwrite-only: two flags and the magic
        assertEquals(8 * 2 + 16, new SlotLayout(0x20000, 4, 128, true, 8).trailerSize());
    }
}
