package com.acme.updraft.storage.mirror.internal;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CorruptObjectException;
import org.updraft.core.unixfs.BlockSink;
import org.updraft.core.unixfs.BlockSource;
import org.updraft.core.unixfs.UnixFsNode;

/**
 * The UnixFS tree of one image without the image's bytes. It lets the store keep the image as a plain file and
 * still serve any byte range of it with every block checked against its CID, as {@code FirmwareStore} requires
 * (Kubo's filestore, {@code ipfs add --nocopy}, keeps files the same way). One line per block, in the order
 * the importer made them, the root last:
 *
 * <pre>
 * leaf CID OFFSET LENGTH BEFORE AFTER   a leaf: the image's bytes [OFFSET, OFFSET+LENGTH) between the bytes
 *                                       BEFORE and AFTER (hex, "-" for none; a raw leaf is the file bytes alone)
 * node CID BLOCK                        an inner node, the whole block (base64)
 * </pre>
 *
 * <p>A reader loads the lines of one tree, a few bytes per 256 KiB of image, not the image.
 */
final class TreeFile {

    private static final HexFormat HEX = HexFormat.of();

    private TreeFile() {
    }

    /**
     * Takes the blocks of an import: appends each leaf's file bytes to the image and writes the tree. The
     * caller checks that the image's size is the imported file's, and calls {@link #force()} before the two
     * files become visible.
     */
    static final class Writer implements BlockSink, Closeable {
        private final FileChannel image;
        private final FileChannel treeChannel;
        private final BufferedWriter tree;
        private long offset;

        Writer(Path image, Path tree) throws IOException {
            this.image = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            this.treeChannel = FileChannel.open(tree, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            this.tree = new BufferedWriter(Channels.newWriter(treeChannel, StandardCharsets.US_ASCII));
        }

        @Override
        public void accept(Cid cid, ByteBuffer block) throws IOException {
            byte[] bytes = new byte[block.remaining()];
            block.get(bytes);
            ByteBuffer content = leafContent(cid, bytes);
            if (content == null) {
                tree.write("node " + cid + " " + Base64.getEncoder().encodeToString(bytes) + "\n");
                return;
            }
            int length = content.remaining();
            int at = indexOf(bytes, content);
            ByteBuffer fileBytes = ByteBuffer.wrap(bytes, at, length);
            while (fileBytes.hasRemaining()) {
                image.write(fileBytes);
            }
            tree.write("leaf " + cid + " " + offset + " " + length + " " + hex(bytes, 0, at) + " "
                    + hex(bytes, at + length, bytes.length) + "\n");
            offset += length;
        }

        /** Both files on disk, so that a crash after the put returned loses neither. */
        void force() throws IOException {
            tree.flush();
            treeChannel.force(true);
            image.force(true);
        }

        @Override
        public void close() throws IOException {
            try (image; treeChannel) {
                tree.close();
            }
        }

        /** The file bytes a leaf carries; null for an inner node, whose file bytes are its children's. */
        private static ByteBuffer leafContent(Cid cid, byte[] block) {
            if (cid.codec() == Cid.RAW) {
                return ByteBuffer.wrap(block);
            }
            UnixFsNode node = UnixFsNode.decode(cid, block);
            return node.links().isEmpty() ? node.content() : null;
        }

        /** Where in its block a leaf's file bytes are: after a few bytes of protobuf header at most. */
        private static int indexOf(byte[] block, ByteBuffer content) {
            for (int at = 0; at + content.remaining() <= block.length; at++) {
                if (ByteBuffer.wrap(block, at, content.remaining()).equals(content)) {
                    return at;
                }
            }
            throw new IllegalStateException("a leaf's content is not within its block");
        }

        private static String hex(byte[] bytes, int from, int to) {
            return from == to ? "-" : HEX.formatHex(bytes, from, to);
        }
    }

    /**
     * The blocks of {@code root}'s tree, rebuilt from the tree file and the image. They are not checked here:
     * {@code UnixFsReader} hashes every block against its CID before it uses any of its bytes.
     */
    static BlockSource blocks(Path tree, Path image, Cid root) throws IOException {
        Map<Cid, String[]> lines = new HashMap<>();
        List<String> all = Files.readAllLines(tree, StandardCharsets.US_ASCII);
        for (int i = 0; i < all.size(); i++) {
            String[] fields = all.get(i).split(" ");
            try {
                lines.put(Cid.parse(fields[1]), fields);
            } catch (RuntimeException e) {
                throw damaged(tree, i + 1, e);
            }
        }
        return cid -> {
            String[] fields = lines.get(cid);
            if (fields == null) {
                throw new CorruptObjectException("block " + cid + " of object " + root + " is not in " + tree);
            }
            try {
                if (fields[0].equals("node") && fields.length == 3) {
                    return Base64.getDecoder().decode(fields[2]);
                }
                if (fields[0].equals("leaf") && fields.length == 6) {
                    return leaf(image, Long.parseLong(fields[2]), Integer.parseInt(fields[3]), bytes(fields[4]),
                            bytes(fields[5]));
                }
                throw new IllegalArgumentException("unknown line");
            } catch (RuntimeException e) {
                throw damaged(tree, -1, e);
            }
        };
    }

    /** Blocks in the tree, root included (a chunk that occurs twice counts twice, as {@code ipfs add} counts). */
    static long blockCount(Path tree) throws IOException {
        try (Stream<String> lines = Files.lines(tree, StandardCharsets.US_ASCII)) {
            return lines.count();
        }
    }

    private static byte[] leaf(Path image, long offset, int length, byte[] before, byte[] after) throws IOException {
        byte[] block = new byte[before.length + length + after.length];
        System.arraycopy(before, 0, block, 0, before.length);
        System.arraycopy(after, 0, block, before.length + length, after.length);
        ByteBuffer content = ByteBuffer.wrap(block, before.length, length);
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            while (content.hasRemaining()) {
                if (channel.read(content, offset + content.position() - before.length) < 0) {
                    throw new CorruptObjectException("image " + image + " ends at byte " + channel.size()
                            + ", before the end of its leaf at " + offset + "+" + length + ": it was cut short");
                }
            }
        }
        return block;
    }

    private static byte[] bytes(String hex) {
        return hex.equals("-") ? new byte[0] : HEX.parseHex(hex);
    }

    private static CorruptObjectException damaged(Path tree, int line, RuntimeException cause) {
        return new CorruptObjectException("tree file " + tree + (line > 0 ? " line " + line : "")
                + " is damaged: " + cause.getMessage());
    }
}
