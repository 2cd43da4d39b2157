package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * imgtool options beyond those the fixture images were made with. Each expected value is the SHA-256 of what
 * imgtool 2.4.0 (the fixtures' version, mcuboot commit 2d4bacc3, Debian 12's python3-cryptography 38.0.4) wrote
 * for {@code imgtool sign --key fx-ed25519.pem OPTIONS fw.bin out.bin}, with the fixtures' key and firmware;
 * COMMON is the fixtures' {@code --header-size 0x200 --align 4 --version 1.2.3+45 --slot-size 0x20000
 * --pad-header --security-counter 7}. Ed25519 signs deterministically, so the whole image must be equal.
 */
class ImgtoolOptionsTest {


    static Stream<Arguments> options() {
        return Stream.of(
                // COMMON --confirm
                kat("confirm", McubootFixtures.common().confirm(true), true,
                        "df6c10545d1533eb706d19fb4cd7d9c08780f9b59dae8704b0b8fc0faa623034"),
                // COMMON --max-align 16 --pad
                kat("max-align 16", McubootFixtures.common().maxAlign(16).pad(true), true,
                        "928aaa1cc7c1fa2a900d811a34308de587e27c2d7314193415cf756e5df42350"),
                // COMMON --overwrite-only --confirm (no image_ok in an overwrite-only trailer)
                kat("overwrite-only", McubootFixtures.common().overwriteOnly(true).confirm(true), true,
                        "2c0079d74a84b7a5b8e1c3e0254a85f704cb237b5cf7e78c3741222a72c56c5b"),
                // COMMON --test (the same bytes: image_ok stays erased)
                kat("test", McubootFixtures.common().test(true), true,
                        "2c0079d74a84b7a5b8e1c3e0254a85f704cb237b5cf7e78c3741222a72c56c5b"),
                // COMMON --load-addr 0x20000000
                kat("load-addr", McubootFixtures.common().loadAddress(0x2000_0000L), true,
                        "80845ccefd0283affa0ec36045d27f8edca6cf1406d065d10eac14f35ef22492"),
                // COMMON --rom-fixed 0x08020000
                kat("rom-fixed", McubootFixtures.common().romFixed(0x0802_0000L), true,
                        "5c5c1f6dae59456690e144bab6bfdaac71a2ac45fd2848e62f1688d84dbd6852"),
                // COMMON --public-key-format full
                kat("full key", McubootFixtures.common().keyFormat(SignOptions.KeyFormat.FULL), true,
                        "e2d2f0f5bd70d0b242a102331f5f4a16f2f88213411f3163dca1d0f4fdac3242"),
                // COMMON --sha 512
                kat("sha 512", McubootFixtures.common().hash(ImageHash.SHA512), true,
                        "9f96f7d1e842417c2684f6f8647b7dd6c1846aa512afac9165b175ab2d604d2a"),
                // COMMON --erased-val 0 --pad
                kat("erased-val 0", McubootFixtures.common().erasedValue(0).pad(true), true,
                        "c905e54dacb41d49544fa1e98e150a1591c9a620eb09fd7c53a0d4a5dc59f1b5"),
                // --header-size 0x200 --align 8 --version 3.1 --slot-size 0x40000 --pad-header --non-bootable
                // --max-sectors 64 --pad
                kat("non-bootable", SignOptions.builder(0x200, ImageVersion.parse("3.1"), 0x40000).align(8)
                        .padHeader(true).nonBootable(true).maxSectors(64).pad(true), true,
                        "fd0a3bae9dfd2283f8adf112055145da902e2c2fe32bdb216e0122b16eb69331"),
                // --header-size 0x20 --version 0 --slot-size 0x2000 --pad-header (no security counter)
                kat("small header", SignOptions.builder(0x20, ImageVersion.parse("0"), 0x2000).padHeader(true), true,
                        "152c3b8b00c76ea57d40bb91430cf655c976fa974adb58dc3268b612ddc3a2c0"),
                // --header-size 0x200 --version 1 --slot-size 0x1000 --pad-header: fits with 8 bytes to spare
                kat("tight slot", SignOptions.builder(0x200, ImageVersion.parse("1"), 0x1000).padHeader(true), true,
                        "3594178c1a807cdb46028186ca4e971fb1bbb18f0f1596946760bc042dc4dcbf"),
                // COMMON --sha 384, without --key
                kat("hash only, sha 384", McubootFixtures.common().hash(ImageHash.SHA384), false,
                        "87ff84be1d63213d6c89f1e95789a9451889227f6e6cc3e4798c399c3e3acae1"));
    }

    private static Arguments kat(String name, SignOptions.Builder options, boolean signed, String sha256) {
        return Arguments.of(name, options, signed, sha256);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("options")
    void equalsImgtool(String name, SignOptions.Builder options, boolean signed, String sha256) throws Exception {
        ImageSigningKey key = signed ? ImageSigningKey.read(McubootFixtures.file("fx-ed25519.pem")) : null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ImageSigner(options.build(), key).sign(ImageSource.of(McubootFixtures.bytes("fw.bin")), out);
        assertEquals(sha256, HexFormat.of().formatHex(ImageHash.SHA256.digest(out.toByteArray())));
        new ImageVerifier().verify(ImageSource.of(out.toByteArray()), key == null ? null : key.imageKey());
    }

    /**
     * --header-size 0x200 --align 4 --version 1.2.3+45 --slot-size 0x20000 --security-counter auto, without
     * --pad-header, on fw.bin behind 0x200 zero bytes.
     */
    @Test
    void zeroedHeaderRoomAndAutomaticCounterEqualImgtool() throws Exception {
        byte[] fw = McubootFixtures.bytes("fw.bin");
        byte[] zeroed = new byte[0x200 + fw.length];
        System.arraycopy(fw, 0, zeroed, 0x200, fw.length);
        SignOptions options = SignOptions.builder(0x200, ImageVersion.parse("1.2.3+45"), 0x20000).align(4)
                .securityCounterFromVersion().build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ImageSigner(options, ImageSigningKey.read(McubootFixtures.file("fx-ed25519.pem")))
                .sign(ImageSource.of(zeroed), out);
        assertEquals("8f71aa9b538119d25a2387f382f432bc96cba636e0c0bca176b4f25df15c2b28",
                HexFormat.of().formatHex(ImageHash.SHA256.digest(out.toByteArray())));
        assertEquals(0x0102_0003L, McubootImage.read(ImageSource.of(out.toByteArray())).securityCounter()
                .getAsLong());
    }
}
