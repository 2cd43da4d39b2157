package org.updraft.core.unixfs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;

/**
 * Builds the UnixFS file DAG that {@code ipfs add} builds, streaming: fixed-size chunks, balanced layout with
 * at most {@value #MAX_LINKS} links per node, and the CID version and leaf kind of the {@link CidOptions}:
 * <ul>
 * <li>CIDv0: dag-pb leaves, links and root are CIDv0 ({@code ipfs add}).</li>
 * <li>CIDv1 with raw leaves: leaves are raw blocks, nodes dag-pb, every CID v1
 * ({@code ipfs add --cid-version 1}). A file of one chunk is a single raw block ({@code bafkrei…}).</li>
 * <li>CIDv1 without raw leaves: the CIDv0 layout, but every CID, including those inside links, is v1
 * ({@code ipfs add --cid-version 1 --raw-leaves=false}); above one chunk the root hash therefore differs
 * from the CIDv0 root's.</li>
 * </ul>
 *
 * <p>Each block goes to the {@link BlockSink} as soon as it is complete. Memory stays at one chunk buffer and
 * one list of at most {@value #MAX_LINKS} pending links per tree level, whatever the file's size. Not thread
 * safe; one importer builds one file.
 *
 * <pre>{@code
 * UnixFsImporter importer = new UnixFsImporter(CidOptions.DEFAULT, (cid, block) -> store.write(cid, block));
 * importer.readFrom(in);
 * ImportedFile file = importer.finish();
 * }</pre>
 */
public final class UnixFsImporter {

    /** Links per node of the balanced layout: Kubo's {@code DefaultLinksPerBlock}. */
    public static final int MAX_LINKS = 174;

    // Room before a chunk for the leaf's protobuf header and after it for its trailer, so a dag-pb leaf is
    // encoded around the chunk in place: 0x0a len 0x08 0x02 0x12 len | chunk | 0x18 filesize.
    private static final int HEADER_ROOM = 16;
    private static final int TRAILER_ROOM = 16;

    private static final int UNIXFS_FILE = 2;

    private final CidOptions options;
    private final BlockSink sink;
    private final MessageDigest sha256;
    private final byte[] chunk;
    private final int chunkSize;
    private int filled;
    private long size;
    private long blocks;
    private final List<Level> levels = new ArrayList<>();
    private byte[] nodeBuffer = new byte[16 * 1024];
    private ImportedFile result;
    private boolean failed;

    /**
     * An importer that sends each block to {@code sink}; with a {@code null} sink it keeps nothing and only
     * computes the CID (as {@link BlockSink#DISCARD}).
     */
    public UnixFsImporter(CidOptions options, BlockSink sink) {
        this.options = Objects.requireNonNull(options, "options");
        this.sink = sink == null ? BlockSink.DISCARD : sink;
        this.sha256 = newSha256();
        this.chunkSize = options.chunkSize();
        this.chunk = new byte[HEADER_ROOM + chunkSize + TRAILER_ROOM];
    }

    /**
     * The root CID, size and block count of {@code content} read to its end, storing nothing: what
     * {@code ipfs add --only-hash} prints. The caller closes the stream.
     */
    public static ImportedFile cid(InputStream content, CidOptions options) throws IOException {
        UnixFsImporter importer = new UnixFsImporter(options, BlockSink.DISCARD);
        importer.readFrom(content);
        return importer.finish();
    }

    /** Adds file bytes. */
    public void write(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        checkOpen();
        while (length > 0) {
            int n = Math.min(length, chunkSize - filled);
            System.arraycopy(bytes, offset, chunk, HEADER_ROOM + filled, n);
            filled += n;
            size += n;
            offset += n;
            length -= n;
            if (filled == chunkSize) {
                leaf();
            }
        }
    }

    /**
     * Adds the rest of {@code in}, read straight into the chunk buffer. Returns the number of bytes read; an
     * exception from the stream leaves this importer unusable and nothing finished.
     */
    public long readFrom(InputStream in) throws IOException {
        checkOpen();
        long read = 0;
        try {
            while (true) {
                int n = in.read(chunk, HEADER_ROOM + filled, chunkSize - filled);
                if (n < 0) {
                    return read;
                }
                filled += n;
                size += n;
                read += n;
                if (filled == chunkSize) {
                    leaf();
                }
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** Emits the last leaf and the nodes above it, ending with the root. Later calls return the same result. */
    public ImportedFile finish() throws IOException {
        if (result != null) {
            return result;
        }
        checkOpen();
        try {
            // A file ending on a chunk boundary gets no empty trailing leaf; an empty file gets one empty leaf.
            if (filled > 0 || blocks == 0) {
                leaf();
            }
            for (int i = 0;; i++) {
                Level level = levels.get(i);
                if (level.count == 1 && isTop(i)) {
                    result = new ImportedFile(level.cids[0], size, blocks);
                    return result;
                }
                if (level.count > 0) {
                    node(i);
                }
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** Bytes added so far. */
    public long size() {
        return size;
    }

    private boolean isTop(int index) {
        for (int j = index + 1; j < levels.size(); j++) {
            if (levels.get(j).count > 0) {
                return false;
            }
        }
        return true;
    }

    private void checkOpen() {
        if (failed) {
            throw new IllegalStateException("this import failed earlier; start a new one");
        }
        if (result != null) {
            throw new IllegalStateException("this import is finished");
        }
    }

    private void leaf() throws IOException {
        int n = filled;
        int start;
        int end;
        Cid cid;
        if (options.rawLeaves()) {
            start = HEADER_ROOM;
            end = HEADER_ROOM + n;
            sha256.update(chunk, start, n);
            cid = Cid.v1(Cid.RAW, sha256.digest());
        } else {
            // PBNode{Data: UnixFS{Type: File, Data: chunk, filesize: n}}; an empty leaf has no Data field.
            int dataField = n > 0 ? 1 + Protobuf.varintSize(n) + n : 0;
            int unixfs = 2 + dataField + 1 + Protobuf.varintSize(n);
            start = HEADER_ROOM - (1 + Protobuf.varintSize(unixfs) + 2 + (n > 0 ? 1 + Protobuf.varintSize(n) : 0));
            int p = start;
            chunk[p++] = 0x0a;
            p = Protobuf.putVarint(chunk, p, unixfs);
            chunk[p++] = 0x08;
            chunk[p++] = UNIXFS_FILE;
            if (n > 0) {
                chunk[p++] = 0x12;
                p = Protobuf.putVarint(chunk, p, n);
            }
            p += n;
            chunk[p++] = 0x18;
            end = Protobuf.putVarint(chunk, p, n);
            sha256.update(chunk, start, end - start);
            byte[] digest = sha256.digest();
            cid = options.cidVersion() == 0 ? Cid.v0(digest) : Cid.v1(Cid.DAG_PB, digest);
        }
        emit(cid, chunk, start, end - start);
        filled = 0;
        link(0, cid, end - start, n);
    }

    private void emit(Cid cid, byte[] bytes, int offset, int length) throws IOException {
        blocks++;
        try {
            sink.accept(cid, ByteBuffer.wrap(bytes, offset, length).asReadOnlyBuffer());
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private void link(int index, Cid cid, long tsize, long fileSize) throws IOException {
        while (levels.size() <= index) {
            levels.add(new Level());
        }
        Level level = levels.get(index);
        level.add(cid, tsize, fileSize);
        if (level.count == MAX_LINKS) {
            node(index);
        }
    }

    /** Encodes the pending links of level {@code index} into one node and links it one level up. */
    private void node(int index) throws IOException {
        Level level = levels.get(index);
        long fileSize = 0;
        long childrenTsize = 0;
        int unixfs = 2;
        int links = 0;
        for (int i = 0; i < level.count; i++) {
            fileSize += level.fileSizes[i];
            childrenTsize += level.tsizes[i];
            unixfs += 1 + Protobuf.varintSize(level.fileSizes[i]);
            int link = linkSize(level, i);
            links += 1 + Protobuf.varintSize(link) + link;
        }
        unixfs += 1 + Protobuf.varintSize(fileSize);
        int total = links + 1 + Protobuf.varintSize(unixfs) + unixfs;
        if (nodeBuffer.length < total) {
            nodeBuffer = new byte[Math.max(total, nodeBuffer.length * 2)];
        }
        byte[] out = nodeBuffer;
        int p = 0;
        // dag-pb's canonical form puts Links (field 2) before Data (field 1).
        for (int i = 0; i < level.count; i++) {
            byte[] hash = level.hashes[i];
            out[p++] = 0x12;
            p = Protobuf.putVarint(out, p, linkSize(level, i));
            out[p++] = 0x0a;
            p = Protobuf.putVarint(out, p, hash.length);
            System.arraycopy(hash, 0, out, p, hash.length);
            p += hash.length;
            out[p++] = 0x12; // Name: present and empty, as Kubo writes it
            out[p++] = 0x00;
            out[p++] = 0x18;
            p = Protobuf.putVarint(out, p, level.tsizes[i]);
        }
        out[p++] = 0x0a;
        p = Protobuf.putVarint(out, p, unixfs);
        out[p++] = 0x08;
        out[p++] = UNIXFS_FILE;
        out[p++] = 0x18;
        p = Protobuf.putVarint(out, p, fileSize);
        for (int i = 0; i < level.count; i++) {
            out[p++] = 0x20;
            p = Protobuf.putVarint(out, p, level.fileSizes[i]);
        }
        if (p != total) {
            throw new IllegalStateException("dag-pb node encoded to " + p + " bytes, expected " + total);
        }
        sha256.update(out, 0, total);
        byte[] digest = sha256.digest();
        Cid cid = options.cidVersion() == 0 ? Cid.v0(digest) : Cid.v1(Cid.DAG_PB, digest);
        level.count = 0;
        emit(cid, out, 0, total);
        link(index + 1, cid, childrenTsize + total, fileSize);
    }

    private static int linkSize(Level level, int i) {
        int hash = level.hashes[i].length;
        return 1 + Protobuf.varintSize(hash) + hash + 2 + 1 + Protobuf.varintSize(level.tsizes[i]);
    }

    static MessageDigest newSha256() {
        // Name the JDK's provider: a security provider registered ahead of it (BouncyCastle in some
        // containers) would otherwise hand out a pure-Java digest several times slower than the intrinsic.
        try {
            return MessageDigest.getInstance("SHA-256", "SUN");
        } catch (NoSuchProviderException | NoSuchAlgorithmException e) {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException missing) {
                throw new IllegalStateException("this JVM has no SHA-256", missing);
            }
        }
    }

    /** Links waiting for their parent node at one depth of the tree. */
    private static final class Level {
        final Cid[] cids = new Cid[MAX_LINKS];
        final byte[][] hashes = new byte[MAX_LINKS][];
        final long[] tsizes = new long[MAX_LINKS];
        final long[] fileSizes = new long[MAX_LINKS];
        int count;

        void add(Cid cid, long tsize, long fileSize) {
            cids[count] = cid;
            hashes[count] = cid.toBytes();
            tsizes[count] = tsize;
            fileSizes[count] = fileSize;
            count++;
        }
    }
}
