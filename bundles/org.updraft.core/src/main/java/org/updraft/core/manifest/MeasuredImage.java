package org.updraft.core.manifest;

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
import org.updraft.core.unixfs.BlockSink;
import org.updraft.core.unixfs.UnixFsImporter;

/**
 * An image measured in one pass over its bytes: size, SHA-256 and its CID under each requested set of
 * {@link CidOptions}. One pass means every figure describes the same bytes, even if the file changes while
 * it is read.
 *
 * @param facts size and SHA-256
 * @param cids the CID for each requested option set, in request order
 */
public record MeasuredImage(ImageFacts facts, Map<CidOptions, Cid> cids) {

    private static final int BUFFER = 256 * 1024;
    private static final CidOptions V1_DAG_PB_LEAVES = new CidOptions(1, false, CidOptions.DEFAULT_CHUNK_SIZE);

    public MeasuredImage {
        cids = Map.copyOf(cids);
    }

    /**
     * The ways {@code ipfs add} with its default chunker may have made {@code cid}: CIDv0 has one; a CIDv1 may
     * have been made with raw leaves ({@code ipfs add --cid-version 1}) or without.
     */
    public static List<CidOptions> cidOptionsFor(Cid cid) {
        return cid.version() == 0 ? List.of(CidOptions.DEFAULT) : List.of(CidOptions.V1, V1_DAG_PB_LEAVES);
    }

    /** Measures an image against what a manifest's CID may have been made with. */
    public static MeasuredImage forManifest(Path file, Manifest manifest) throws IOException {
        return of(file, cidOptionsFor(manifest.cid()));
    }

    public static MeasuredImage of(Path file, List<CidOptions> options) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return of(in, options);
        }
    }

    /** Reads the stream to its end (without closing it). */
    public static MeasuredImage of(InputStream in, List<CidOptions> options) throws IOException {
        MessageDigest sha256 = ImageFacts.newDigest();
        List<UnixFsImporter> importers = new ArrayList<>();
        for (CidOptions o : options) {
            importers.add(new UnixFsImporter(o, BlockSink.DISCARD));
        }
        byte[] buffer = new byte[BUFFER];
        long size = 0;
        for (int n; (n = in.read(buffer)) != -1;) {
            sha256.update(buffer, 0, n);
            for (UnixFsImporter importer : importers) {
                importer.write(buffer, 0, n);
            }
            size += n;
        }
        Map<CidOptions, Cid> cids = new LinkedHashMap<>();
        for (int i = 0; i < options.size(); i++) {
            cids.put(options.get(i), importers.get(i).finish().cid());
        }
        return new MeasuredImage(new ImageFacts(size, sha256.digest()), cids);
    }

    public long size() {
        return facts.size();
    }

    public byte[] sha256() {
        return facts.sha256();
    }

    /** The CID under {@code options}, which must have been measured. */
    public Cid cid(CidOptions options) {
        Cid cid = cids.get(options);
        if (cid == null) {
            throw new IllegalArgumentException("the image was not measured with " + options);
        }
        return cid;
    }
}
