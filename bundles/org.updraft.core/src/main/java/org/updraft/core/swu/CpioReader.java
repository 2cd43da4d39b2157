package org.updraft.core.swu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Reads a cpio archive in the "new ASCII" format ({@code 070701}) or its checksummed variant ({@code 070702},
 * {@code cpio -H crc}) entry by entry, by position: a 110-byte header of hexadecimal fields, the NUL-terminated
 * name, padding to 4 bytes, the data, padding to 4 bytes; the entry named {@code TRAILER!!!} ends it. Every length
 * is checked against the archive's size before anything is read, so a header claiming a huge size is refused, not
 * allocated.
 */
public final class CpioReader {

    /** One entry; its data is {@code size} bytes at {@code dataOffset}. */
    public record Entry(String name, long mode, long size, long dataOffset, long checksum, boolean checksummed) {
    }

    static final int HEADER = 110;
    static final String TRAILER = "TRAILER!!!";
    /** SWUpdate's names are short file names; PATH_MAX bounds what any cpio writes. */
    static final int MAX_NAME = 4096;

    private final SeekableByteChannel channel;
    private final long size;
    private long position;
    private boolean ended;

    /**
     * @param channel the archive, read by position
     * @param size its size in bytes
     */
    public CpioReader(SeekableByteChannel channel, long size) {
        this.channel = channel;
        this.size = size;
    }

    /**
     * @return the next entry, or null after the trailer
     * @throws SwuException {@code bad-archive} when the header is not newc/crc or a length runs past the end
     */
    public Entry next() throws SwuException, IOException {
        if (ended) {
            return null;
        }
        if (size - position < HEADER) {
            throw bad("archive truncated at byte " + position + ": no room for a cpio header (no TRAILER!!! entry)");
        }
        ByteBuffer header = read(position, HEADER);
        String text = StandardCharsets.US_ASCII.decode(header).toString();
        String magic = text.substring(0, 6);
        if (!magic.equals("070701") && !magic.equals("070702")) {
            throw bad("not a cpio newc/crc archive: header at byte " + position + " starts '"
                    + printable(magic) + "', expected 070701 or 070702");
        }
        long mode = field(text, 1);
        long fileSize = field(text, 6);
        long nameSize = field(text, 11);
        long checksum = field(text, 12);
        if (nameSize < 2 || nameSize > MAX_NAME) {
            throw bad("cpio entry at byte " + position + " has a name of " + nameSize + " bytes");
        }
        long nameAt = position + HEADER;
        long dataAt = align(nameAt + nameSize);
        if (dataAt > size) {
            throw bad("archive truncated in the name of the entry at byte " + position);
        }
        ByteBuffer nameBytes = read(nameAt, (int) nameSize);
        if (nameBytes.get((int) nameSize - 1) != 0) {
            throw bad("cpio entry at byte " + position + ": name not terminated by NUL");
        }
        String name = StandardCharsets.UTF_8.decode(nameBytes.limit((int) nameSize - 1)).toString();
        if (fileSize > size - dataAt) {
            throw bad("cpio entry " + name + " claims " + fileSize + " bytes, only " + (size - dataAt)
                    + " are left in the archive");
        }
        Entry entry = new Entry(name, mode, fileSize, dataAt, checksum, magic.equals("070702"));
        position = Math.min(size, align(dataAt + fileSize));
        if (name.equals(TRAILER)) {
            ended = true;
            return null;
        }
        return entry;
    }

    /** Where the archive's entries end (after the trailer, once {@link #next()} returned null). */
    public long end() {
        return position;
    }

    /**
     * Reads {@code length} bytes at {@code at} into a new buffer; callers bound {@code length}.
     */
    ByteBuffer read(long at, int length) throws IOException, SwuException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        readFully(channel, at, buffer);
        return buffer.flip();
    }

    static void readFully(SeekableByteChannel channel, long at, ByteBuffer buffer) throws IOException, SwuException {
        channel.position(at);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new SwuException("bad-archive", "archive ends early, at byte " + channel.position());
            }
        }
    }

    private static long field(String header, int index) throws SwuException {
        String hex = header.substring(6 + 8 * index, 14 + 8 * index);
        try {
            return Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            throw bad("cpio header field '" + printable(hex) + "' is not hexadecimal");
        }
    }

    static long align(long offset) {
        return (offset + 3) & ~3L;
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static SwuException bad(String message) {
        return new SwuException("bad-archive", message);
    }
}
