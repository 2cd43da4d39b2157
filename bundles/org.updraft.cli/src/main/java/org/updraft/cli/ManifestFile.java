package org.updraft.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestFormatException;
import org.updraft.core.manifest.SignedManifest;

/** A manifest file as the commands read it: structure checked, signature not yet. */
final class ManifestFile {

    private ManifestFile() {
    }

    /**
     * Reads and parses a signed manifest. A missing file or malformed content is a usage error naming the
     * file; at most one byte more than a manifest may have is read, however large the file.
     */
    static SignedManifest read(Path file) throws IOException, UsageException {
        InputFile.checkReadable("manifest", file);
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(ManifestCodec.MAX_MANIFEST_BYTES + 1);
        }
        try {
            return ManifestCodec.parse(bytes);
        } catch (ManifestFormatException e) {
            throw new UsageException("manifest " + file + " is not valid: " + e.getMessage());
        }
    }
}
