package org.updraft.core.unixfs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.updraft.api.multiformats.Cid;

/**
 * One block of a UnixFS file, decoded: a raw leaf, or a dag-pb node whose UnixFS data says how many file bytes
 * each child holds ({@code blocksizes}) and which file bytes, if any, the node carries itself. The file
 * bytes under a node are its own {@link #content()} followed by those of its children, in link order.
 *
 * <p>Decoding does not check the block's hash; {@link UnixFsReader} does that before it decodes.
 */
public final class UnixFsNode {

    /**
     * A dag-pb link.
     *
     * @param cid the child's CID
     * @param name the link name ({@code ""} in file DAGs)
     * @param tsize the encoded size of the child's whole sub-DAG, as the writer recorded it
     */
    public record Link(Cid cid, String name, long tsize) {
    }

    private static final int UNIXFS_RAW = 0;
    private static final int UNIXFS_FILE = 2;
    private static final String[] TYPE_NAMES = {"raw", "directory", "file", "metadata", "symlink", "HAMT shard"};

    private final List<Link> links;
    private final long[] blockSizes;
    private final long fileSize;
    private final byte[] block;
    private final int contentOffset;
    private final int contentLength;

    private UnixFsNode(List<Link> links, long[] blockSizes, long fileSize, byte[] block, int contentOffset,
            int contentLength) {
        this.links = links;
        this.blockSizes = blockSizes;
        this.fileSize = fileSize;
        this.block = block;
        this.contentOffset = contentOffset;
        this.contentLength = contentLength;
    }

    /**
     * Decodes {@code block}, the bytes named by {@code cid}: a raw block when the CID's codec is raw, else a
     * dag-pb node that must carry UnixFS data of type file (or the legacy type raw). The node keeps a
     * reference to {@code block}.
     *
     * @throws IllegalArgumentException naming what is wrong when the block is not a UnixFS file node
     */
    public static UnixFsNode decode(Cid cid, byte[] block) {
        Objects.requireNonNull(cid, "cid");
        Objects.requireNonNull(block, "block");
        if (cid.codec() == Cid.RAW) {
            return new UnixFsNode(List.of(), new long[0], block.length, block, 0, block.length);
        }
        List<Link> links = new ArrayList<>();
        int dataOffset = -1;
        int dataLength = 0;
        Protobuf.Reader node = new Protobuf.Reader(block, 0, block.length);
        while (node.hasMore()) {
            int tag = node.tag();
            if (tag == Protobuf.tag(2, Protobuf.LENGTH_DELIMITED)) {
                int start = node.lengthDelimited();
                links.add(link(block, start, node.position() - start));
            } else if (tag == Protobuf.tag(1, Protobuf.LENGTH_DELIMITED)) {
                if (dataOffset >= 0) {
                    throw new IllegalArgumentException("dag-pb node has two Data fields");
                }
                dataOffset = node.lengthDelimited();
                dataLength = node.position() - dataOffset;
            } else {
                throw new IllegalArgumentException("dag-pb node has an unknown field (tag " + tag + ")");
            }
        }
        if (dataOffset < 0) {
            throw new IllegalArgumentException("dag-pb node carries no UnixFS data");
        }

        int type = -1;
        long declaredSize = -1;
        int contentOffset = 0;
        int contentLength = 0;
        long[] sizes = new long[Math.max(links.size(), 4)];
        int sizeCount = 0;
        Protobuf.Reader data = new Protobuf.Reader(block, dataOffset, dataLength);
        while (data.hasMore()) {
            int tag = data.tag();
            int field = tag >>> 3;
            int wire = tag & 7;
            if (field == 1 && wire == Protobuf.VARINT) {
                type = (int) data.varint();
            } else if (field == 2 && wire == Protobuf.LENGTH_DELIMITED) {
                contentOffset = data.lengthDelimited();
                contentLength = data.position() - contentOffset;
            } else if (field == 3 && wire == Protobuf.VARINT) {
                declaredSize = data.varint();
            } else if (field == 4 && wire == Protobuf.VARINT) {
                sizes = append(sizes, sizeCount++, data.varint());
            } else if (field == 4 && wire == Protobuf.LENGTH_DELIMITED) {
                // packed encoding: not what Kubo writes, but a valid encoding of the same field
                int start = data.lengthDelimited();
                Protobuf.Reader packed = new Protobuf.Reader(block, start, data.position() - start);
                while (packed.hasMore()) {
                    sizes = append(sizes, sizeCount++, packed.varint());
                }
            } else {
                data.skip(wire);
            }
        }
        if (type != UNIXFS_FILE && type != UNIXFS_RAW) {
            String name = type >= 0 && type < TYPE_NAMES.length ? TYPE_NAMES[type] : type < 0 ? "none" : "" + type;
            throw new IllegalArgumentException("UnixFS node of type " + name + " is not part of a file");
        }
        if (sizeCount != links.size()) {
            throw new IllegalArgumentException("UnixFS node has " + links.size() + " links but " + sizeCount
                    + " blocksizes");
        }
        long total = contentLength;
        for (int i = 0; i < sizeCount; i++) {
            if (sizes[i] < 0 || total + sizes[i] < total) {
                throw new IllegalArgumentException("UnixFS blocksizes overflow");
            }
            total += sizes[i];
        }
        if (declaredSize >= 0 && declaredSize != total) {
            throw new IllegalArgumentException("UnixFS filesize " + declaredSize + " does not match the "
                    + total + " bytes of its data and children");
        }
        return new UnixFsNode(Collections.unmodifiableList(links), Arrays.copyOf(sizes, sizeCount), total, block,
                contentOffset, contentLength);
    }

    private static long[] append(long[] array, int index, long value) {
        long[] a = index < array.length ? array : Arrays.copyOf(array, array.length * 2);
        a[index] = value;
        return a;
    }

    private static Link link(byte[] block, int offset, int length) {
        Cid cid = null;
        String name = "";
        long tsize = 0;
        Protobuf.Reader link = new Protobuf.Reader(block, offset, length);
        while (link.hasMore()) {
            int tag = link.tag();
            if (tag == Protobuf.tag(1, Protobuf.LENGTH_DELIMITED)) {
                int start = link.lengthDelimited();
                try {
                    cid = Cid.fromBytes(Arrays.copyOfRange(block, start, link.position()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("dag-pb link has an invalid CID: " + e.getMessage());
                }
            } else if (tag == Protobuf.tag(2, Protobuf.LENGTH_DELIMITED)) {
                int start = link.lengthDelimited();
                name = new String(block, start, link.position() - start, StandardCharsets.UTF_8);
            } else if (tag == Protobuf.tag(3, Protobuf.VARINT)) {
                tsize = link.varint();
            } else {
                throw new IllegalArgumentException("dag-pb link has an unknown field (tag " + tag + ")");
            }
        }
        if (cid == null) {
            throw new IllegalArgumentException("dag-pb link has no CID");
        }
        return new Link(cid, name, tsize);
    }

    /** The links to this node's children, in file order; empty for a leaf. */
    public List<Link> links() {
        return links;
    }

    /** File bytes under the child at {@code index} of {@link #links()}. */
    public long blockSize(int index) {
        return blockSizes[index];
    }

    /** File bytes under this node: its own content plus all children's. */
    public long fileSize() {
        return fileSize;
    }

    /** The file bytes this node carries itself (all of a raw block; the UnixFS Data of a dag-pb node). */
    public ByteBuffer content() {
        return ByteBuffer.wrap(block, contentOffset, contentLength).slice().asReadOnlyBuffer();
    }

    byte[] block() {
        return block;
    }

    int contentOffset() {
        return contentOffset;
    }

    int contentLength() {
        return contentLength;
    }
}
