package org.updraft.core.unixfs;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CorruptObjectException;

/**
 * Reads a byte range of a UnixFS file from its blocks. It walks down from the root using each node's
 * blocksizes, so it fetches only the blocks on the path to the first byte and the leaves of the range, never
 * the leaves before it. Every block is hashed and compared with its CID before any of its bytes are used: a
 * mismatch raises {@link CorruptObjectException} naming the block, and none of its bytes are returned.
 *
 * <p>Memory holds one block per tree level. Streams are not thread safe; open one per reader.
 */
public final class UnixFsReader {

    /** Deeper than any file {@code ipfs add} builds (174^16 chunks); stops a hostile DAG from nesting forever. */
    private static final int MAX_DEPTH = 16;

    private UnixFsReader() {
    }

    /**
     * Opens {@code length} bytes of the file {@code root} from {@code offset}; a negative {@code length} reads
     * to the end, and a range past the end is cut there. The root block is fetched and checked now, the
     * others when the stream first reads from them; their failures surface from {@code read}.
     *
     * @throws CorruptObjectException when the root block does not match its CID or is not a UnixFS file
     * @throws IOException what {@code source} throws for a missing block
     * @throws IllegalArgumentException when {@code offset} is negative
     */
    public static InputStream open(BlockSource source, Cid root, long offset, long length) throws IOException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(root, "root");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, was " + offset);
        }
        return new RangeStream(source, root, offset, length);
    }

    /** Whether {@code block} hashes to the digest in {@code cid}. */
    public static boolean matches(Cid cid, byte[] block) {
        MessageDigest sha256 = UnixFsImporter.newSha256();
        return MessageDigest.isEqual(sha256.digest(block), cid.digest());
    }

    /** A node on the path from the root to the current leaf, and the next child to visit. */
    private static final class Frame {
        final Cid cid;
        final UnixFsNode node;
        int nextChild;
        long nextChildStart;

        Frame(Cid cid, UnixFsNode node) {
            this.cid = cid;
            this.node = node;
        }
    }

    private static final class RangeStream extends InputStream {
        private final BlockSource source;
        private final Cid root;
        private final MessageDigest sha256 = UnixFsImporter.newSha256();
        private final Deque<Frame> path = new ArrayDeque<>();
        private final long end;
        private long position;
        // the verified root until the first read walks down from it
        private UnixFsNode top;
        // the verified bytes being served and where they stop
        private byte[] segment;
        private int segmentPos;
        private int segmentEnd;
        private boolean closed;
        private final byte[] one = new byte[1];

        RangeStream(BlockSource source, Cid root, long offset, long length) throws IOException {
            this.source = source;
            this.root = root;
            this.top = load(root, -1);
            long size = top.fileSize();
            this.position = Math.min(offset, size);
            this.end = length < 0 || length > size - position ? size : position + length;
        }

        @Override
        public int read() throws IOException {
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (closed) {
                throw new IOException("stream of " + root + " is closed");
            }
            if (len == 0) {
                return 0;
            }
            if (position >= end) {
                return -1;
            }
            if (top != null) {
                UnixFsNode start = top;
                top = null;
                descend(root, start, 0);
            } else if (segmentPos == segmentEnd) {
                advance();
            }
            int n = (int) Math.min(Math.min(len, segmentEnd - segmentPos), end - position);
            System.arraycopy(segment, segmentPos, b, off, n);
            segmentPos += n;
            position += n;
            return n;
        }

        @Override
        public int available() {
            return (int) Math.min(segmentEnd - segmentPos, end - position);
        }

        @Override
        public void close() {
            closed = true;
            path.clear();
            top = null;
            segment = null;
            segmentPos = 0;
            segmentEnd = 0;
        }

        /** Moves to the next file bytes after the current segment: the next child of the nearest unfinished node. */
        private void advance() throws IOException {
            while (!path.isEmpty()) {
                Frame frame = path.peek();
                if (frame.nextChild < frame.node.links().size()) {
                    int i = frame.nextChild++;
                    long start = frame.nextChildStart;
                    frame.nextChildStart += frame.node.blockSize(i);
                    if (frame.node.blockSize(i) == 0) {
                        continue;
                    }
                    Cid child = frame.node.links().get(i).cid();
                    descend(child, load(child, frame.node.blockSize(i)), start);
                    return;
                }
                path.pop();
            }
            throw new CorruptObjectException("object " + root + " ended at byte " + position
                    + " before the size its root declares");
        }

        /**
         * Pushes {@code node}, whose file bytes start at {@code nodeStart}, and goes down to the leaf holding
         * {@link #position}, making that leaf's bytes the current segment.
         */
        private void descend(Cid cid, UnixFsNode node, long nodeStart) throws IOException {
            while (true) {
                if (path.size() >= MAX_DEPTH) {
                    throw new CorruptObjectException("object " + root + " nests deeper than " + MAX_DEPTH
                            + " levels");
                }
                Frame frame = new Frame(cid, node);
                path.push(frame);
                long contentEnd = nodeStart + node.contentLength();
                frame.nextChildStart = contentEnd;
                if (position < contentEnd) {
                    segment = node.block();
                    segmentPos = node.contentOffset() + (int) (position - nodeStart);
                    segmentEnd = node.contentOffset() + node.contentLength();
                    return;
                }
                // skip the children wholly before the position, without fetching them
                int i = 0;
                int count = node.links().size();
                while (i < count && frame.nextChildStart + node.blockSize(i) <= position) {
                    frame.nextChildStart += node.blockSize(i);
                    i++;
                }
                if (i == count) {
                    throw new CorruptObjectException("object " + root + ": block " + cid
                            + " holds no file byte at offset " + position);
                }
                long childStart = frame.nextChildStart;
                frame.nextChildStart += node.blockSize(i);
                frame.nextChild = i + 1;
                cid = node.links().get(i).cid();
                node = load(cid, node.blockSize(i));
                nodeStart = childStart;
            }
        }

        /** Fetches, verifies and decodes a block; {@code expectedSize} is what its parent says it holds. */
        private UnixFsNode load(Cid cid, long expectedSize) throws IOException {
            byte[] block = source.block(cid);
            if (block == null) {
                throw new CorruptObjectException("block " + cid + " of object " + root + " is missing");
            }
            if (!MessageDigest.isEqual(sha256.digest(block), cid.digest())) {
                throw new CorruptObjectException("block " + cid + " of object " + root
                        + " does not match its hash: the stored bytes were altered");
            }
            UnixFsNode node;
            try {
                node = UnixFsNode.decode(cid, block);
            } catch (IllegalArgumentException e) {
                throw new CorruptObjectException("block " + cid + " of object " + root
                        + " is not a UnixFS file node: " + e.getMessage());
            }
            if (expectedSize >= 0 && node.fileSize() != expectedSize) {
                throw new CorruptObjectException("block " + cid + " of object " + root + " holds "
                        + node.fileSize() + " file bytes but its parent says " + expectedSize);
            }
            return node;
        }
    }
}
