package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The imgtool-made images in {@code ../shared/fixtures/mcuboot} (beside the repository's root; read there, never
 * copied). Their README says how each was made and what {@code imgtool verify} said about it.
 */
final class McubootFixtures {

    /** The digest imgtool printed for the Ed25519, ECDSA and hash-only images. */
    static final String DIGEST = "d483032d54f6589ad63e667c6fef80e1cf39e257de0ab6c0ea680ec5d7dc0c68";

    private static Path dir;

    private McubootFixtures() {
    }

    static synchronized Path dir() {
        if (dir == null) {
            Path root = Path.of("").toAbsolutePath();
            while (root != null && !Files.exists(root.resolve("mvnw"))) {
                root = root.getParent();
            }
            assertTrue(root != null, "repository root (with mvnw) not found above " + Path.of("").toAbsolutePath());
            dir = root.resolve("../shared/fixtures/mcuboot").normalize();
            assertTrue(Files.isDirectory(dir), "MCUboot fixtures missing: " + dir);
        }
        return dir;
    }

    static Path file(String name) {
        return dir().resolve(name);
    }

    static byte[] bytes(String name) throws IOException {
        return Files.readAllBytes(file(name));
    }

    /** Options every fixture image was signed with: {@code --header-size 0x200 --align 4 --version 1.2.3+45
     *  --slot-size 0x20000 --pad-header --security-counter 7}. */
    static SignOptions.Builder common() {
        return SignOptions.builder(0x200, ImageVersion.parse("1.2.3+45"), 0x20000).align(4).padHeader(true)
                .securityCounter(7);
    }
}
