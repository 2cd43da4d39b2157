package org.updraft.storage.local.internal;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;

/**
 * One small text file per stored object in {@code objects/}, named by its CID. The record's appearance is
 * what makes an object visible, so it is only ever written whole: to a temporary file, forced to disk, then
 * renamed over the old one.
 */
final class ObjectRecords {

    private static final String HEADER = "updraft-object 1";

    private final Path dir;
    private final Path temp;
    private final boolean fsync;

    ObjectRecords(Path dir, Path temp, boolean fsync) {
        this.dir = dir;
        this.temp = temp;
        this.fsync = fsync;
    }

    Optional<ObjectStat> read(Cid cid) throws StoreException {
        Path file = dir.resolve(cid.toString());
        try {
            return Optional.of(parse(file, Files.readString(file, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read object record " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The records, and what is wrong with each file in {@code objects/} that is not a readable record.
     *
     * @param records the readable records
     * @param damaged one message per unreadable file, naming it
     */
    record Listing(List<ObjectStat> records, List<String> damaged) {
    }

    Listing all() throws StoreException {
        List<ObjectStat> records = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                try {
                    records.add(parse(file, Files.readString(file, StandardCharsets.UTF_8)));
                } catch (StoreException e) {
                    damaged.add(e.getMessage());
                } catch (CharacterCodingException e) {
                    damaged.add("object record " + file + " is not text");
                } catch (IOException e) {
                    damaged.add("cannot read object record " + file + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot list object records in " + dir + ": " + e.getMessage(), e);
        }
        return new Listing(records, damaged);
    }

    /** Writes the record atomically: after a crash it is either the old record or the new one. */
    synchronized void write(ObjectStat record) throws StoreException {
        String text = HEADER + "\ncid=" + record.cid() + "\nsize=" + record.size() + "\nblocks=" + record.blocks()
                + "\npinned=" + record.pinned() + "\n";
        Path target = dir.resolve(record.cid().toString());
        Path tmp = null;
        try {
            tmp = Files.createTempFile(temp, "record-", ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            if (fsync) {
                DiskSync.forceNow(tmp);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            if (fsync) {
                DiskSync.forceNow(dir);
            }
        } catch (IOException e) {
            throw new StoreException("cannot write object record " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the next start clears the temporary directory
                }
            }
        }
    }

    synchronized void delete(Cid cid) throws IOException {
        Files.deleteIfExists(dir.resolve(cid.toString()));
        if (fsync) {
            DiskSync.forceNow(dir);
        }
    }

    private static ObjectStat parse(Path file, String text) throws StoreException {
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new StoreException("object record " + file + " is not an Updraft object record");
        }
        Map<String, String> fields = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int eq = lines[i].indexOf('=');
            if (eq > 0) {
                fields.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
            }
        }
        try {
            Cid cid = Cid.parse(require(fields, "cid", file));
            if (!file.getFileName().toString().equals(cid.toString())) {
                throw new StoreException("object record " + file + " names another object, " + cid);
            }
            return new ObjectStat(cid, Long.parseLong(require(fields, "size", file)),
                    Long.parseLong(require(fields, "blocks", file)),
                    Boolean.parseBoolean(require(fields, "pinned", file)));
        } catch (IllegalArgumentException e) {
            throw new StoreException("object record " + file + " is damaged: " + e.getMessage());
        }
    }

    private static String require(Map<String, String> fields, String name, Path file) throws StoreException {
        String value = fields.get(name);
        if (value == null) {
            throw new StoreException("object record " + file + " has no " + name);
        }
        return value;
    }
}
