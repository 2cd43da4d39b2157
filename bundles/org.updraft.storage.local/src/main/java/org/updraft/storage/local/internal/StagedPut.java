package org.updraft.storage.local.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.StoreException;
import org.updraft.core.unixfs.BlockSink;

/**
 * The blocks of one put, written to a private staging directory as the importer emits them. Nothing here is
 * visible to readers: {@link #commit()} moves the blocks into the store once the whole object is built and
 * (with fsync) on disk, and closing deletes whatever is left. Memory does not grow with the object: the
 * staging directory itself is the list of blocks to move.
 */
final class StagedPut implements BlockSink, AutoCloseable {

    private final Path dir;
    private final BlockFiles blocks;
    private final DiskSync sync;
    private final BooleanSupplier stopping;

    /** With a {@code null} {@code sync}, nothing is forced to disk. */
    StagedPut(Path dir, BlockFiles blocks, DiskSync sync, BooleanSupplier stopping) {
        this.dir = dir;
        this.blocks = blocks;
        this.sync = sync;
        this.stopping = stopping;
    }

    @Override
    public void accept(Cid cid, ByteBuffer block) throws IOException {
        if (stopping.getAsBoolean()) {
            throw new StoreException("the store is shutting down");
        }
        Path staged = dir.resolve(BlockFiles.name(cid));
        // A block already in the store with the right bytes is not written again; a damaged one is
        // replaced, so putting the same image again repairs it.
        if (Files.exists(staged) || blocks.holdsIntact(cid)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(staged, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (block.hasRemaining()) {
                channel.write(block);
            }
        } catch (FileAlreadyExistsException e) {
            // the same block twice in one file: the first copy is enough
        }
    }

    /** Makes the staged blocks durable, then moves each into the blocks directory with an atomic rename. */
    void commit() throws IOException {
        if (sync != null) {
            try (DirectoryStream<Path> staged = Files.newDirectoryStream(dir)) {
                sync.force(staged);
            }
        }
        Set<Path> shards = new HashSet<>();
        boolean newShards = false;
        try (DirectoryStream<Path> staged = Files.newDirectoryStream(dir)) {
            for (Path file : staged) {
                String name = file.getFileName().toString();
                Path shard = blocks.root().resolve(BlockFiles.shard(name));
                if (shards.add(shard) && !Files.isDirectory(shard)) {
                    Files.createDirectories(shard);
                    newShards = true;
                }
                Files.move(file, shard.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (sync != null) {
            // the renames are durable once the directories holding them are
            if (newShards) {
                shards.add(blocks.root());
            }
            sync.force(shards);
        }
    }

    @Override
    public void close() throws IOException {
        BlockFiles.deleteTree(dir);
    }
}
