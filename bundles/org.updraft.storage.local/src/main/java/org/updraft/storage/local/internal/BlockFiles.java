package org.updraft.storage.local.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.multiformats.Multibase;
import org.updraft.api.store.CorruptObjectException;
import org.updraft.api.store.StoreException;
import org.updraft.core.unixfs.UnixFsReader;

/**
 * The blocks directory: one file per block, named by the base32 of its multihash and sharded by the two
 * characters before the last (as Kubo's flatfs does), so CIDv0 and CIDv1 names of the same bytes share a file.
 * A file appears here only by an atomic rename after it was written in full.
 */
final class BlockFiles {

    /** Larger than any block the importer writes (1 MiB chunk plus its header); a bigger file is damage. */
    static final long MAX_BLOCK = 2L * 1024 * 1024;

    private final Path root;

    BlockFiles(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    static String name(Cid cid) {
        return Multibase.encodeBase32(cid.multihash());
    }

    static String shard(String name) {
        return name.substring(name.length() - 3, name.length() - 1);
    }

    Path path(Cid cid) {
        String name = name(cid);
        return root.resolve(shard(name)).resolve(name);
    }

    /** The stored bytes of a block, unchecked, or {@code null} when there is no such file. */
    byte[] readOrNull(Cid cid) throws StoreException {
        Path file = path(cid);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > MAX_BLOCK) {
                throw new CorruptObjectException("block " + cid + " in " + file + " has " + size
                        + " bytes, more than any block can have");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read to the end
            }
            if (buffer.hasRemaining()) {
                throw new CorruptObjectException("block " + cid + " in " + file + " shrank while it was read");
            }
            return buffer.array();
        } catch (NoSuchFileException e) {
            return null;
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("cannot read block " + cid + " from " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether the block is here with bytes that match its hash. */
    boolean holdsIntact(Cid cid) throws StoreException {
        try {
            byte[] block = readOrNull(cid);
            return block != null && UnixFsReader.matches(cid, block);
        } catch (CorruptObjectException e) {
            return false;
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
