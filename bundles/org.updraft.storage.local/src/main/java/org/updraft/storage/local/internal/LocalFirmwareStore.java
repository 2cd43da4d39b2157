package org.updraft.storage.local.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.CorruptObjectException;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.config.DataPaths;
import org.updraft.core.unixfs.ImportedFile;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.core.unixfs.UnixFsReader;

/**
 * The embedded firmware store: UnixFS blocks on local disk, with the CIDs {@code ipfs add} computes.
 *
 * <p>Layout under the configured directory: {@code blocks/} (one file per block, by multihash),
 * {@code objects/} (one record per stored object; its atomic appearance is what makes a put visible),
 * {@code staging/} (blocks and records being written) and {@code lock} (one store per directory).
 * A put writes its blocks to staging, forces them to disk, renames them into {@code blocks/} and then renames
 * the object's record into {@code objects/}. Whatever an interrupted put left is removed at the next start,
 * together with unpinned objects and blocks no pinned object needs (see {@link StartupSweep}).
 *
 * <p>Reads check every block against its hash before serving any of its bytes.
 */
@Component(service = FirmwareStore.class, property = FirmwareStore.KIND + "=" + LocalFirmwareStore.KIND_LOCAL,
        configurationPid = LocalFirmwareStore.PID)
@Designate(ocd = LocalStoreConfig.class)
public final class LocalFirmwareStore implements FirmwareStore {

    static final String PID = "org.updraft.storage.local";
    static final String KIND_LOCAL = "local";

    private static final Logger LOG = LoggerFactory.getLogger(LocalFirmwareStore.class);

    private final Path directory;
    private final Path staging;
    private final BlockFiles blocks;
    private final ObjectRecords records;
    private final boolean fsync;
    private final DiskSync sync;
    private final FileChannel lockChannel;
    private final FileLock lock;
    // A put holds the read side while it moves its blocks in and writes its record; close takes the write
    // side, so it lets go of the directory only when no put is half published. Reading the content holds no
    // lock: a stalled upload must not hold up a shutdown, and it stops at its next block once it sees the flag.
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closing;

    @Activate
    public LocalFirmwareStore(LocalStoreConfig config) throws StoreException {
        this(directory(config.directory()), config.fsync());
    }

    LocalFirmwareStore(Path directory, boolean fsync) throws StoreException {
        this.directory = directory.toAbsolutePath().normalize();
        this.fsync = fsync;
        this.staging = this.directory.resolve("staging");
        this.blocks = new BlockFiles(this.directory.resolve("blocks"));
        this.records = new ObjectRecords(this.directory.resolve("objects"), staging, fsync);
        this.sync = fsync ? new DiskSync("updraft-local-store") : null;
        try {
            Files.createDirectories(blocks.root());
            Files.createDirectories(this.directory.resolve("objects"));
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw new StoreException("cannot create the store directory " + this.directory + ": " + e.getMessage(), e);
        }
        FileChannel channel = null;
        FileLock acquired = null;
        try {
            channel = FileChannel.open(this.directory.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            acquired = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            acquired = null;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StoreException("cannot lock the store directory " + this.directory + ": " + e.getMessage(), e);
        }
        if (acquired == null) {
            closeQuietly(channel);
            throw new StoreException("the store directory " + this.directory
                    + " is in use by another running store; give each store its own directory");
        }
        this.lockChannel = channel;
        this.lock = acquired;
        try {
            StartupSweep.Outcome outcome = StartupSweep.run(blocks, records, staging);
            if (outcome.skippedBecause() != null) {
                LOG.warn("Local store {}: deleted no unused blocks, to keep every block a pinned object may "
                        + "need, because {}", this.directory, outcome.skippedBecause());
            }
            LOG.info("Local store open at {} (fsync {}): dropped {} unpinned objects, deleted {} unused blocks",
                    this.directory, fsync ? "on" : "off", outcome.unpinnedDropped(), outcome.blocksDeleted());
        } catch (IOException e) {
            close();
            throw new StoreException("cannot clean up the store directory " + this.directory + ": " + e.getMessage(), e);
        }
    }

    private static Path directory(String configured) throws StoreException {
        try {
            return DataPaths.resolve(configured);
        } catch (IllegalArgumentException e) {
            throw new StoreException("configuration " + PID + ": 'directory' " + e.getMessage());
        }
    }

    /**
     * Stops new requests, waits for puts that are publishing (moving blocks, writing the record) and lets go
     * of the directory. Puts still reading their content fail at their next block.
     */
    @Deactivate
    public void close() {
        closing = true;
        lifecycle.writeLock().lock();
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            LOG.warn("Local store {}: releasing the directory lock failed: {}", directory, e.getMessage());
        } finally {
            closeQuietly(lockChannel);
            if (sync != null) {
                sync.close();
            }
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public StoredObject put(InputStream content, CidOptions options) throws StoreException {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(options, "options");
        checkOpen();
        Path dir;
        try {
            dir = Files.createTempDirectory(staging, "put-");
        } catch (IOException e) {
            throw new StoreException("cannot stage a put in " + staging + ": " + e.getMessage(), e);
        }
        try (StagedPut staged = new StagedPut(dir, blocks, sync, () -> closing)) {
            UnixFsImporter importer = new UnixFsImporter(options, staged);
            try {
                importer.readFrom(content);
            } catch (StoreException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new StoreException("put failed after " + importer.size() + " bytes: reading the content "
                        + "failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
            }
            ImportedFile file = importer.finish();
            lifecycle.readLock().lock();
            try {
                checkOpen();
                staged.commit();
                records.write(new ObjectStat(file.cid(), file.size(), file.blocks(), true));
            } finally {
                lifecycle.readLock().unlock();
            }
            LOG.debug("Stored {} ({} bytes, {} blocks)", file.cid(), file.size(), file.blocks());
            return new StoredObject(file.cid(), file.size());
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("put failed: " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream get(Cid cid, long offset, long length) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, was " + offset);
        }
        checkOpen();
        if (records.read(cid).isEmpty()) {
            throw new ObjectNotFoundException(cid);
        }
        try {
            return UnixFsReader.open(block -> {
                byte[] bytes = blocks.readOrNull(block);
                if (bytes == null) {
                    throw new CorruptObjectException("block " + block + " of object " + cid
                            + " is missing from " + blocks.root());
                }
                return bytes;
            }, cid, offset, length);
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("cannot read object " + cid + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<ObjectStat> stat(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        checkOpen();
        return records.read(cid);
    }

    @Override
    public void pin(Cid cid) throws StoreException {
        setPinned(cid, true);
    }

    @Override
    public void unpin(Cid cid) throws StoreException {
        setPinned(cid, false);
    }

    private void setPinned(Cid cid, boolean pinned) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        lifecycle.readLock().lock();
        try {
            checkOpen();
            synchronized (records) {
                ObjectStat record = records.read(cid).orElseThrow(() -> new ObjectNotFoundException(cid));
                if (record.pinned() != pinned) {
                    records.write(new ObjectStat(cid, record.size(), record.blocks(), pinned));
                }
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public List<ObjectStat> list() throws StoreException {
        checkOpen();
        ObjectRecords.Listing all = records.all();
        for (String damage : all.damaged()) {
            LOG.warn("Local store {}: {}", directory, damage);
        }
        List<ObjectStat> pinned = new ArrayList<>();
        for (ObjectStat record : all.records()) {
            if (record.pinned()) {
                pinned.add(record);
            }
        }
        return pinned;
    }

    @Override
    public StoreStatus status() {
        String where = directory.toString();
        if (closing) {
            return new StoreStatus(KIND_LOCAL, false, where + ": the store is stopped", -1, -1);
        }
        try {
            long objects = 0;
            long bytes = 0;
            ObjectRecords.Listing all = records.all();
            for (ObjectStat record : all.records()) {
                if (record.pinned()) {
                    objects++;
                    bytes += record.size();
                }
            }
            long free = Files.getFileStore(directory).getUsableSpace();
            boolean writable = Files.isWritable(staging);
            String detail = where + ", " + free + " bytes free on disk" + (writable ? "" : ", not writable")
                    + (all.damaged().isEmpty() ? "" : ", " + all.damaged().size() + " damaged object records");
            return new StoreStatus(KIND_LOCAL, writable, detail, objects, bytes);
        } catch (IOException | RuntimeException e) {
            return new StoreStatus(KIND_LOCAL, false, where + ": " + e.getMessage(), -1, -1);
        }
    }

    /** Where the block is kept on disk (for diagnostics and tests). */
    Path blocksPath(Cid cid) {
        return blocks.path(cid);
    }

    private void checkOpen() throws StoreException {
        if (closing) {
            throw new StoreException("the local store at " + directory + " is stopped");
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
