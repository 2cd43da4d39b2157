package org.updraft.demo.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The McRootKeys of the multicast demo's simulated devices, in the LoRaWAN transport's {@code multicast.keys.file}
 * (lines {@code DevEUI McRootKey}). That setting may name the operator's own file with real devices' keys, so the demo
 * writes only a file that is absent or that it wrote itself: its first line is {@link #MARK}. It writes the whole file
 * or nothing (a temporary file of mode 600 in the same directory, moved over the old one), so the transport, which
 * reads the file at each session start, never sees half of it. No key is ever printed.
 */
final class DemoMcRootKeys {

    /** The first line of a file the demo wrote; the transport skips it as a comment. */
    static final String MARK = "# written by updraft:demo --transport lorawan --multicast: McRootKeys of its simulated "
            + "devices, replaced at each run";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private DemoMcRootKeys() {
    }

    /**
     * Refuses, naming why, a {@code multicast.keys.file} the demo may not replace: the operator's file (any file whose
     * first line is not {@link #MARK}), a link, a directory, a file it cannot read, or one in a directory that does
     * not exist.
     */
    static void checkReplaceable(Path file) {
        String setting = "multicast.keys.file " + file;
        if (Files.isSymbolicLink(file)) {
            throw new IllegalStateException(setting + " is a symbolic link: the demo writes only a file of its own "
                    + "there; point multicast.keys.file at another path for the demo");
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            Path dir = file.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new IllegalStateException("the directory of " + setting + " does not exist: create it, or point "
                        + "multicast.keys.file at a file in an existing directory");
            }
            return;
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException(setting + " is not a regular file: the demo writes only a file of its own "
                    + "there");
        }
        String first;
        try {
            first = firstLine(file);
        } catch (AccessDeniedException e) {
            throw new IllegalStateException(setting + " cannot be read (permission denied): the demo replaces only a "
                    + "file it wrote itself, and cannot tell");
        } catch (NoSuchFileException e) {
            // gone since: nothing to protect
            return;
        } catch (IOException e) {
            throw new IllegalStateException(setting + " cannot be read: " + e.getMessage());
        }
        if (!MARK.equals(first)) {
            throw new IllegalStateException(setting + " was not written by updraft:demo (its first line is not the "
                    + "demo's mark): it holds real devices' McRootKeys, and the demo does not replace it; point "
                    + "multicast.keys.file in etc/" + LorawanSettings.PID + ".cfg at a file of the demo's own (absent "
                    + "at first, e.g. ${karaf.data}/updraft/demo/mc-root-keys) while you run the demo");
        }
    }

    /**
     * Writes {@code keys} (McRootKey by DevEUI, 16 bytes each) to {@code file} whole, mode 600, replacing the file of
     * an earlier run; checked again first ({@link #checkReplaceable}), as the file may have changed since the demo
     * began.
     *
     * @throws IOException when the file cannot be written; the old file, if any, is then unchanged
     */
    static void write(Path file, Map<String, byte[]> keys) throws IOException {
        checkReplaceable(file);
        StringBuilder text = new StringBuilder(MARK).append('\n');
        for (Map.Entry<String, byte[]> e : keys.entrySet()) {
            if (!e.getKey().matches("[0-9a-f]{16}") || e.getValue().length != 16) {
                throw new IllegalArgumentException("a DevEUI of 16 lower-case hex digits and a McRootKey of 16 bytes "
                        + "each, not for " + e.getKey());
            }
            text.append(e.getKey().toUpperCase(Locale.ROOT)).append(' ').append(HexFormat.of().formatHex(e.getValue()))
                    .append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        Path temp = temporary(dir, file.getFileName().toString());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                    Writer out = java.nio.channels.Channels.newWriter(channel, StandardCharsets.US_ASCII)) {
                out.write(text.toString());
                out.flush();
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** An empty file beside {@code name}, readable by its owner only from its creation (never briefly by others). */
    private static Path temporary(Path dir, String name) throws IOException {
        try {
            FileAttribute<Set<PosixFilePermission>> ownerOnly = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
            return Files.createTempFile(dir, "." + name + ".", ".tmp", ownerOnly);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the transport checks no mode there either
            return Files.createTempFile(dir, "." + name + ".", ".tmp");
        }
    }

    /** The file's first line, without its line end; at most 512 bytes are read (a key file's line is shorter). */
    private static String firstLine(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            head = in.readNBytes(512);
        }
        String text = new String(head, StandardCharsets.ISO_8859_1);
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }
}
