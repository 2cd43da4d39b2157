package org.updraft.storage.local.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.core.unixfs.UnixFsNode;
import org.updraft.core.unixfs.UnixFsReader;

/**
 * Runs once when the store opens, before any request: removes what interrupted puts left (staging
 * directories, blocks moved in before their record was written) and the objects that were unpinned, and
 * deletes every block that no pinned object reaches.
 *
 * <p>It never deletes a block a pinned object needs: when the DAG of a pinned object cannot be walked in
 * full (a node missing or damaged), it deletes no block at all and says which object is damaged.
 */
final class StartupSweep {

    /**
     * No node of the importer's DAGs (at most 174 links) comes near this size, so a larger dag-pb block is a
     * leaf and need not be read to find links.
     */
    private static final long LARGEST_NODE = 64 * 1024;

    /** What the sweep did, for the log. */
    record Outcome(int unpinnedDropped, long blocksDeleted, String skippedBecause) {
    }

    private StartupSweep() {
    }

    static Outcome run(BlockFiles blocks, ObjectRecords records, Path staging) throws IOException {
        clear(staging);
        ObjectRecords.Listing all;
        try {
            all = records.all();
        } catch (StoreException e) {
            return new Outcome(0, 0, e.getMessage());
        }
        if (!all.damaged().isEmpty()) {
            // a record that cannot be read may be a pinned object's: keep every block
            return new Outcome(0, 0, String.join("; ", all.damaged()));
        }
        int dropped = 0;
        Set<String> live = new HashSet<>();
        for (ObjectStat object : all.records()) {
            if (!object.pinned()) {
                records.delete(object.cid());
                dropped++;
                continue;
            }
            String damage = mark(blocks, object.cid(), live);
            if (damage != null) {
                return new Outcome(dropped, 0, damage);
            }
        }
        return new Outcome(dropped, sweep(blocks.root(), live), null);
    }

    /** Adds every block of the DAG under {@code root} to {@code live}; returns what is wrong, or null. */
    private static String mark(BlockFiles blocks, Cid root, Set<String> live) throws StoreException {
        Deque<Cid> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            Cid cid = pending.pop();
            if (!live.add(BlockFiles.name(cid)) || cid.codec() == Cid.RAW) {
                continue;
            }
            Path file = blocks.path(cid);
            try {
                if (!cid.equals(root) && Files.size(file) > LARGEST_NODE) {
                    continue;
                }
            } catch (IOException e) {
                return "object " + root + " is missing block " + cid;
            }
            byte[] block = blocks.readOrNull(cid);
            if (block == null) {
                return "object " + root + " is missing block " + cid;
            }
            if (!UnixFsReader.matches(cid, block)) {
                return "block " + cid + " of object " + root + " is damaged";
            }
            try {
                for (UnixFsNode.Link link : UnixFsNode.decode(cid, block).links()) {
                    pending.push(link.cid());
                }
            } catch (IllegalArgumentException e) {
                return "block " + cid + " of object " + root + " is not a UnixFS node: " + e.getMessage();
            }
        }
        return null;
    }

    private static long sweep(Path root, Set<String> live) throws IOException {
        long deleted = 0;
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root)) {
            for (Path shard : shards) {
                if (!Files.isDirectory(shard)) {
                    Files.delete(shard);
                    deleted++;
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path file : files) {
                        if (!live.contains(file.getFileName().toString())) {
                            BlockFiles.deleteTree(file);
                            deleted++;
                        }
                    }
                }
            }
        }
        return deleted;
    }

    private static void clear(Path dir) throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir)) {
            for (Path p : leftovers) {
                BlockFiles.deleteTree(p);
            }
        }
    }
}
