package org.updraft.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.unixfs.BlockSink;
import org.updraft.core.unixfs.UnixFsImporter;

/**
 * A firmware file as measured in one pass over its bytes: size, SHA-256 (the JDK's, which uses the CPU's SHA
 * instructions) and its CID under each requested set of {@link CidOptions}. One pass means every figure
 * describes the same bytes, even if the file changes while it is read.
 *
 * @param facts size and SHA-256
 * @param cids the CID for each requested option set, in request order
 */
record FirmwareImage(ImageFacts facts, Map<CidOptions, Cid> cids) {

    private static final int BUFFER = 256 * 1024;

    /** Reads {@code file} once. A missing or unreadable file is a usage error naming it. */
    static FirmwareImage measure(Path file, List<CidOptions> options) throws IOException, UsageException {
        checkReadable("firmware file", file);
        MessageDigest sha256 = ImageFacts.newDigest();
        List<UnixFsImporter> importers = new ArrayList<>();
        for (CidOptions o : options) {
            importers.add(new UnixFsImporter(o, BlockSink.DISCARD));
        }
        byte[] buffer = new byte[BUFFER];
        long size = 0;
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) != -1;) {
                sha256.update(buffer, 0, n);
                for (UnixFsImporter importer : importers) {
                    importer.write(buffer, 0, n);
                }
                size += n;
            }
        }
        Map<CidOptions, Cid> cids = new LinkedHashMap<>();
        for (int i = 0; i < options.size(); i++) {
            cids.put(options.get(i), importers.get(i).finish().cid());
        }
        return new FirmwareImage(new ImageFacts(size, sha256.digest()), cids);
    }

    /** Names {@code what} ("firmware file", "manifest") when {@code file} cannot be read. */
    static void checkReadable(String what, Path file) throws UsageException {
        if (!Files.exists(file)) {
            throw new UsageException(what + " " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new UsageException(what + " " + file + " is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new UsageException(what + " " + file + " is not readable");
        }
    }

    long size() {
        return facts.size();
    }

    byte[] sha256() {
        return facts.sha256();
    }

    Cid cid(CidOptions options) {
        return cids.get(options);
    }
}
