package com.acme.updraft.storage.mirror.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.unixfs.ImportedFile;
import org.updraft.core.unixfs.UnixFsImporter;
import org.updraft.core.unixfs.UnixFsReader;

/**
 * A firmware store that keeps every image as a plain file named by its CID, in one directory. The directory is a
 * mirror: rsync, a web server or a USB stick for a factory line can carry it, and anyone can check a file with
 * {@code ipfs add --only-hash} or {@code bin/updraft cid}. Beside the images, hidden:
 *
 * <pre>
 * .tree/CID    the image's UnixFS tree without its bytes ({@link TreeFile}): serves verified byte ranges
 * .pins/CID    present while the image is pinned
 * .staging/    puts in progress
 * .lock        one running store per directory
 * </pre>
 *
 * <p>A put writes the image and its tree to staging, forces them to disk, then renames the tree, the pin and
 * last the image into place: readers see a whole object or none. Unpinned images, and whatever a put cut off
 * left, are deleted when the store next starts. Files in the directory that have no tree are not the store's
 * and are left alone.
 */
@Component(service = FirmwareStore.class, configurationPid = MirrorFirmwareStore.PID,
        property = FirmwareStore.KIND + "=" + MirrorFirmwareStore.KIND)
@Designate(ocd = MirrorStoreConfig.class)
public final class MirrorFirmwareStore implements FirmwareStore {

    static final String PID = "com.acme.updraft.storage.mirror";
    /** The {@value FirmwareStore#KIND} operators name in {@code preferred} of {@code org.updraft.store}. */
    static final String KIND = "mirror";

    private static final Logger LOG = LoggerFactory.getLogger(MirrorFirmwareStore.class);

    private final Path directory;
    private final Path trees;
    private final Path pins;
    private final Path staging;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private volatile boolean closed;

    @Activate
    public MirrorFirmwareStore(MirrorStoreConfig config) throws IOException {
        this(directory(config.directory()));
    }

    MirrorFirmwareStore(Path directory) throws IOException {
        this.directory = directory.toAbsolutePath().normalize();
        this.trees = this.directory.resolve(".tree");
        this.pins = this.directory.resolve(".pins");
        this.staging = this.directory.resolve(".staging");
        for (Path dir : List.of(trees, pins, staging)) {
            Files.createDirectories(dir);
        }
        this.lockChannel = FileChannel.open(this.directory.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock acquired;
        try {
            acquired = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            acquired = null;
        }
        if (acquired == null) {
            lockChannel.close();
            throw new StoreException("the mirror directory " + this.directory
                    + " is in use by another running store; give each store its own directory");
        }
        this.lock = acquired;
        try {
            int deleted = sweep();
            LOG.info("Mirror store open at {}: {} images, {} unpinned ones deleted", this.directory, list().size(),
                    deleted);
        } catch (IOException e) {
            close();
            throw new StoreException("cannot clean up the mirror directory " + this.directory + ": "
                    + e.getMessage(), e);
        }
    }

    private static Path directory(String configured) throws StoreException {
        if (configured == null || configured.isBlank()) {
            throw new StoreException("configuration " + PID + ": 'directory' is empty");
        }
        Path path = Path.of(configured.strip());
        if (path.isAbsolute()) {
            return path;
        }
        String data = System.getProperty("karaf.data");
        if (data == null) {
            throw new StoreException("configuration " + PID + ": 'directory' " + configured
                    + " is relative and karaf.data is not set; configure an absolute path");
        }
        return Path.of(data).resolve(path);
    }

    @Deactivate
    void close() throws IOException {
        closed = true;
        try (lockChannel) {
            lock.release();
        }
    }

    @Override
    public StoredObject put(InputStream content, CidOptions options) throws StoreException {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(options, "options");
        checkOpen();
        Path dir = null;
        try {
            dir = Files.createTempDirectory(staging, "put-");
            Path image = dir.resolve("image");
            Path tree = dir.resolve("tree");
            ImportedFile file;
            try (TreeFile.Writer writer = new TreeFile.Writer(image, tree)) {
                UnixFsImporter importer = new UnixFsImporter(options, writer);
                importer.readFrom(content);
                file = importer.finish();
                writer.force();
            }
            if (Files.size(image) != file.size()) {
                throw new StoreException("put failed: the image file has " + Files.size(image) + " bytes, the "
                        + "imported file " + file.size());
            }
            checkOpen();
            String name = file.cid().toString();
            Files.move(tree, trees.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (!Files.exists(pins.resolve(name))) {
                Files.createFile(pins.resolve(name));
            }
            // the image last: its appearance is what makes the object visible
            Files.move(image, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            forceDirectories(trees, pins, directory);
            LOG.debug("Stored {} ({} bytes, {} blocks)", name, file.size(), file.blocks());
            return new StoredObject(file.cid(), file.size());
        } catch (StoreException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new StoreException("put failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
        } finally {
            deleteQuietly(dir);
        }
    }

    @Override
    public InputStream get(Cid cid, long offset, long length) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, was " + offset);
        }
        checkOpen();
        if (!holds(cid)) {
            throw new ObjectNotFoundException(cid);
        }
        Path image = directory.resolve(cid.toString());
        try {
            return UnixFsReader.open(TreeFile.blocks(trees.resolve(cid.toString()), image, cid), cid, offset, length);
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("cannot read " + image + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<ObjectStat> stat(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        checkOpen();
        String name = cid.toString();
        try {
            if (!holds(cid)) {
                return Optional.empty();
            }
            return Optional.of(new ObjectStat(cid, Files.size(directory.resolve(name)),
                    TreeFile.blockCount(trees.resolve(name)), Files.exists(pins.resolve(name))));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted by hand while we looked
        } catch (IOException e) {
            throw new StoreException("cannot read " + directory.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void pin(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        checkOpen();
        if (!holds(cid)) {
            throw new ObjectNotFoundException(cid);
        }
        try {
            if (!Files.exists(pins.resolve(cid.toString()))) {
                Files.createFile(pins.resolve(cid.toString()));
                forceDirectories(pins);
            }
        } catch (IOException e) {
            throw new StoreException("cannot pin " + cid + " in " + pins + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void unpin(Cid cid) throws StoreException {
        Objects.requireNonNull(cid, "cid");
        checkOpen();
        if (!holds(cid)) {
            throw new ObjectNotFoundException(cid);
        }
        try {
            if (Files.deleteIfExists(pins.resolve(cid.toString()))) {
                forceDirectories(pins);
            }
        } catch (IOException e) {
            throw new StoreException("cannot unpin " + cid + " in " + pins + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<ObjectStat> list() throws StoreException {
        checkOpen();
        List<ObjectStat> pinned = new ArrayList<>();
        try (DirectoryStream<Path> marks = Files.newDirectoryStream(pins)) {
            for (Path mark : marks) {
                Cid cid = cidNamed(mark);
                if (cid != null) {
                    stat(cid).filter(ObjectStat::pinned).ifPresent(pinned::add);
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot list " + pins + ": " + e.getMessage(), e);
        }
        return pinned;
    }

    @Override
    public StoreStatus status() {
        if (closed) {
            return new StoreStatus(KIND, false, directory + ": the store is stopped", -1, -1);
        }
        try {
            List<ObjectStat> pinned = list();
            long bytes = pinned.stream().mapToLong(ObjectStat::size).sum();
            boolean writable = Files.isWritable(staging);
            String detail = directory + ", " + Files.getFileStore(directory).getUsableSpace() + " bytes free"
                    + (writable ? "" : ", not writable");
            return new StoreStatus(KIND, writable, detail, pinned.size(), bytes);
        } catch (IOException | RuntimeException e) {
            return new StoreStatus(KIND, false, directory + ": " + e.getMessage(), -1, -1);
        }
    }

    /** An object is the store's when both its image and its tree are there. */
    private boolean holds(Cid cid) {
        String name = cid.toString();
        return Files.isRegularFile(directory.resolve(name)) && Files.isRegularFile(trees.resolve(name));
    }

    /**
     * Deletes unpinned images with their trees, then trees and pins without an image (a put cut off between its
     * renames), then staging. Returns the number of images deleted.
     */
    private int sweep() throws IOException {
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, Files::isRegularFile)) {
            for (Path image : files) {
                Cid cid = cidNamed(image);
                if (cid != null && holds(cid) && !Files.exists(pins.resolve(cid.toString()))) {
                    Files.delete(image);
                    Files.delete(trees.resolve(cid.toString()));
                    deleted++;
                }
            }
        }
        for (Path dir : List.of(trees, pins)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path file : files) {
                    if (!Files.exists(directory.resolve(file.getFileName()))) {
                        Files.delete(file);
                    }
                }
            }
        }
        try (Stream<Path> leftovers = Files.list(staging)) {
            leftovers.forEach(MirrorFirmwareStore::deleteQuietly);
        }
        return deleted;
    }

    /** The CID a file is named by, or null when the name is not a CID as this store writes it. */
    private static Cid cidNamed(Path file) {
        String name = file.getFileName().toString();
        try {
            Cid cid = Cid.parse(name);
            return cid.toString().equals(name) ? cid : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void checkOpen() throws StoreException {
        if (closed) {
            throw new StoreException("the mirror store at " + directory + " is stopped");
        }
    }

    /** Makes the renames and new files in these directories durable (Linux: fsync on the directory). */
    private static void forceDirectories(Path... dirs) throws IOException {
        for (Path dir : dirs) {
            try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
                channel.force(true);
            }
        }
    }

    private static void deleteQuietly(Path path) {
        if (path == null) {
            return;
        }
        try (Stream<Path> tree = Files.walk(path)) {
            tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", path, e.getMessage());
        }
    }
}
