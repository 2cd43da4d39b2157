package org.updraft.ledger.local.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.LedgerException;

/**
 * An append-only file of framed records: an 8-byte magic, then frames of
 *
 * <pre>
 * u32 CRC32C of everything after it in the frame
 * u32 bit 31: this frame starts a commit batch; bits 0-30: length of the body
 * u64 the record's index, from 0
 * body
 * </pre>
 *
 * (big-endian). Appends go in batches, each written with one write and made durable with one fsync before the
 * next batch is written: so after a crash only the last batch can be torn, and a valid batch-start frame behind
 * a damaged one proves the damaged one was acknowledged. {@link #open} cuts a torn tail and refuses a log that
 * is damaged anywhere else.
 *
 * <p>Writes go through {@link RandomAccessFile}, which, unlike a {@link FileChannel}, is not closed when the
 * writing thread is interrupted: appends run on callers' threads. Reads use a {@link FileChannel} for
 * positional reads and reopen it if an interrupted reader closed it.
 */
final class RecordFile implements AutoCloseable {

    static final int MAGIC_SIZE = 8;
    static final int FRAME_HEADER = 16;
    private static final int BATCH_START = 0x8000_0000;
    private static final int LENGTH_MASK = 0x7FFF_FFFF;
    private static final int SCAN_WINDOW = 4 * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(RecordFile.class);

    /** Receives each valid frame while a file is opened; a failure makes the open fail. */
    @FunctionalInterface
    interface FrameVisitor {
        void visit(long index, long offset, byte[] body) throws LedgerException;
    }

    private final Path path;
    private final String recordName;
    private final int maxBody;
    private final RandomAccessFile writer;
    private volatile FileChannel reader;
    private volatile boolean closed;
    private long end;
    private long count;

    private RecordFile(Path path, String recordName, int maxBody, RandomAccessFile writer, FileChannel reader) {
        this.path = path;
        this.recordName = recordName;
        this.maxBody = maxBody;
        this.writer = writer;
        this.reader = reader;
    }

    /**
     * Opens (or creates) the file, checks every frame, passes each to {@code visitor} in order, and cuts a torn
     * tail.
     *
     * @param recordName what a record is, for messages: "event", "checkpoint"
     * @param maxBody the largest body a frame may have
     * @param maxBatch the most bytes one commit batch may write: a damaged tail longer than that cannot be torn
     * @param acknowledged how many records are known to have been acknowledged (covered by a checkpoint): damage
     *        before that is never a torn write
     */
    static RecordFile open(Path path, String magic, String recordName, int maxBody, long maxBatch, long acknowledged,
            FrameVisitor visitor) throws LedgerException {
        byte[] magicBytes = magic.getBytes(StandardCharsets.US_ASCII);
        if (magicBytes.length != MAGIC_SIZE) {
            throw new IllegalArgumentException("magic must have " + MAGIC_SIZE + " bytes");
        }
        try {
            if (!Files.exists(path)) {
                create(path, magicBytes);
            }
        } catch (IOException e) {
            throw new LedgerException("cannot create ledger file " + path + ": " + e, e);
        }
        RandomAccessFile writer = null;
        FileChannel reader = null;
        try {
            writer = new RandomAccessFile(path.toFile(), "rw");
            reader = FileChannel.open(path, StandardOpenOption.READ);
            RecordFile file = new RecordFile(path, recordName, maxBody, writer, reader);
            file.scan(magicBytes, maxBatch, acknowledged, visitor);
            return file;
        } catch (IOException e) {
            closeQuietly(writer, reader);
            throw new LedgerException("cannot open ledger file " + path + ": " + e, e);
        } catch (LedgerException | RuntimeException e) {
            closeQuietly(writer, reader);
            throw e;
        }
    }

    // A new file appears whole, with its magic, or not at all: written aside, synced, renamed, directory synced.
    private static void create(Path path, byte[] magic) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(path.getFileName() + ".new");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(magic));
            ch.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path);
        }
        syncDirectory(dir);
    }

    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or sync a directory; the rename is still durable on the usual ones.
            LOG.debug("cannot sync directory {}: {}", dir, e.toString());
        }
    }

    private void scan(byte[] magic, long maxBatch, long acknowledged, FrameVisitor visitor)
            throws IOException, LedgerException {
        long size = reader.size();
        ByteBuffer head = ByteBuffer.allocate(MAGIC_SIZE);
        if (size < MAGIC_SIZE || readFully(0, head) < MAGIC_SIZE
                || !java.util.Arrays.equals(head.array(), magic)) {
            throw new LedgerException(path + " is not an Updraft ledger file (its header is not '"
                    + new String(magic, StandardCharsets.US_ASCII) + "')");
        }
        Window window = new Window(SCAN_WINDOW);
        CRC32C crc = new CRC32C();
        long pos = MAGIC_SIZE;
        long index = 0;
        String problem = null;
        while (pos < size) {
            problem = checkFrame(window, crc, pos, index, size);
            if (problem != null) {
                break;
            }
            int at = window.at(pos);
            int length = window.buffer.getInt(at + 4) & LENGTH_MASK;
            byte[] body = new byte[length];
            window.buffer.get(at + FRAME_HEADER, body);
            visitor.visit(index, pos, body);
            pos += FRAME_HEADER + length;
            index++;
        }
        if (pos < size) {
            long tail = size - pos;
            if (index < acknowledged || tail > maxBatch || laterBatchFollows(pos, index, size)) {
                throw new LedgerException("ledger file " + path + " is corrupt at offset " + pos + " (" + recordName
                        + " " + index + "): " + problem + "; " + (index < acknowledged ? "a checkpoint covers it"
                                : "acknowledged records follow it")
                        + ", so this is not a torn write. Restore the file from a backup; the log was not changed");
            }
            writer.setLength(pos);
            writer.getFD().sync();
            LOG.warn("Ledger file {} ended in a torn write (the process or machine stopped during an append): cut"
                    + " {} bytes at offset {}, after {} {}s ({})", path, tail, pos, index, recordName, problem);
        }
        end = pos;
        count = index;
    }

    /** Why the frame at {@code pos} is not the valid frame {@code index}, or null when it is. */
    private String checkFrame(Window window, CRC32C crc, long pos, long index, long size) throws IOException {
        if (size - pos < FRAME_HEADER) {
            return "a frame header is cut short";
        }
        int at = window.require(pos, FRAME_HEADER, size);
        ByteBuffer b = window.buffer;
        int length = b.getInt(at + 4) & LENGTH_MASK;
        if (length > maxBody) {
            return "a frame claims " + length + " bytes, more than a " + recordName + " may have";
        }
        if (size - pos - FRAME_HEADER < length) {
            return "a frame is cut short";
        }
        at = window.require(pos, FRAME_HEADER + length, size);
        crc.reset();
        crc.update(b.array(), at + 4, FRAME_HEADER - 4 + length);
        if ((int) crc.getValue() != b.getInt(at)) {
            return "checksum mismatch";
        }
        long stored = b.getLong(at + 8);
        if (stored != index) {
            return "the frame holds " + recordName + " " + stored + " where " + index + " belongs";
        }
        return null;
    }

    /**
     * Whether a valid frame that starts a later commit batch lies after the damage at {@code pos}: batches are
     * written only after the one before is durable, so then the damaged batch had been acknowledged.
     */
    private boolean laterBatchFollows(long pos, long index, long size) throws IOException {
        int tail = (int) (size - pos);
        ByteBuffer b = ByteBuffer.allocate(tail);
        readFully(pos, b);
        CRC32C crc = new CRC32C();
        long maxIndex = index + tail / FRAME_HEADER;
        for (int at = 1; at + FRAME_HEADER <= tail; at++) {
            int flagsAndLength = b.getInt(at + 4);
            if ((flagsAndLength & BATCH_START) == 0) {
                continue;
            }
            int length = flagsAndLength & LENGTH_MASK;
            long stored = b.getLong(at + 8);
            if (length > maxBody || at + FRAME_HEADER + length > tail || stored <= index || stored > maxIndex) {
                continue;
            }
            crc.reset();
            crc.update(b.array(), at + 4, FRAME_HEADER - 4 + length);
            if ((int) crc.getValue() == b.getInt(at)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- writing (one writer at a time)

    /** Size of the frame holding a body of {@code bodyLength} bytes. */
    static int frameSize(int bodyLength) {
        return FRAME_HEADER + bodyLength;
    }

    /**
     * Writes a frame with body {@code first || second} into {@code dst} at {@code offset}; returns its size.
     *
     * @param second may be null
     */
    static int writeFrame(byte[] dst, int offset, long index, boolean batchStart, byte[] first, byte[] second) {
        int length = first.length + (second == null ? 0 : second.length);
        ByteBuffer b = ByteBuffer.wrap(dst, offset, FRAME_HEADER + length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0);
        b.putInt(length | (batchStart ? BATCH_START : 0));
        b.putLong(index);
        b.put(first);
        if (second != null) {
            b.put(second);
        }
        CRC32C crc = new CRC32C();
        crc.update(dst, offset + 4, FRAME_HEADER - 4 + length);
        ByteBuffer.wrap(dst, offset, 4).putInt((int) crc.getValue());
        return FRAME_HEADER + length;
    }

    /** Appends {@code length} bytes of whole frames at the end and, when {@code sync}, makes them durable. */
    void append(byte[] frames, int length, boolean sync) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        writer.seek(end);
        writer.write(frames, 0, length);
        if (sync) {
            writer.getFD().sync();
        }
        end += length;
    }

    /**
     * After a failed {@link #append}: cuts whatever part of it reached the file. True when the file is as it was
     * before; false when even that failed and the file's tail is unknown.
     */
    boolean discardFailedAppend() {
        if (closed) {
            return false;
        }
        try {
            writer.setLength(end);
            writer.getFD().sync();
            return true;
        } catch (IOException e) {
            LOG.error("Cannot cut a failed append from ledger file {}: {}", path, e.toString());
            return false;
        }
    }

    /** End of the last complete frame: where the next append goes. */
    long end() {
        return end;
    }

    /** Number of frames found at open. */
    long countAtOpen() {
        return count;
    }

    Path path() {
        return path;
    }

    // ---------------------------------------------------------------- reading (any thread)

    /**
     * Reads the frame {@code index} at {@code offset} and returns its body, after checking its checksum and index.
     */
    byte[] readBody(long offset, long index) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER);
        readFullyOrFail(offset, header);
        int length = header.getInt(4) & LENGTH_MASK;
        if (length > maxBody) {
            throw corrupt(offset, index, "a frame claims " + length + " bytes");
        }
        ByteBuffer frame = ByteBuffer.allocate(FRAME_HEADER + length);
        frame.put(header.array());
        readFullyOrFail(offset + FRAME_HEADER, frame);
        CRC32C crc = new CRC32C();
        crc.update(frame.array(), 4, FRAME_HEADER - 4 + length);
        if ((int) crc.getValue() != frame.getInt(0)) {
            throw corrupt(offset, index, "checksum mismatch");
        }
        if (frame.getLong(8) != index) {
            throw corrupt(offset, index, "the frame holds " + recordName + " " + frame.getLong(8));
        }
        byte[] body = new byte[length];
        frame.get(FRAME_HEADER, body);
        return body;
    }

    /**
     * Reads frame {@code index} at {@code offset} through {@code window} (directly when it is larger), checks it,
     * and returns its body.
     */
    byte[] readBody(Window window, long offset, long index, long limit) throws IOException {
        int length = frameLength(window, offset, index, limit);
        if (!window.fits(FRAME_HEADER + length)) {
            return readBody(offset, index);
        }
        int at = window.require(offset, FRAME_HEADER + length, limit);
        ByteBuffer b = window.buffer;
        CRC32C crc = new CRC32C();
        crc.update(b.array(), at + 4, FRAME_HEADER - 4 + length);
        if ((int) crc.getValue() != b.getInt(at)) {
            throw corrupt(offset, index, "checksum mismatch");
        }
        byte[] body = new byte[length];
        b.get(at + FRAME_HEADER, body);
        return body;
    }

    /** The body length of frame {@code index} at {@code offset}, read through {@code window}. */
    int frameLength(Window window, long offset, long index, long limit) throws IOException {
        int at = window.require(offset, FRAME_HEADER, limit);
        ByteBuffer b = window.buffer;
        int length = b.getInt(at + 4) & LENGTH_MASK;
        if (length > maxBody || b.getLong(at + 8) != index) {
            throw corrupt(offset, index, "its frame header is damaged");
        }
        return length;
    }

    /**
     * The first {@code n} bytes of frame {@code index}'s body (not checksummed: for reading leaf hashes, which the
     * ledger checked at open), read through {@code window}.
     */
    byte[] bodyPrefix(Window window, long offset, long index, int n, long limit) throws IOException {
        int length = frameLength(window, offset, index, limit);
        if (length < n) {
            throw corrupt(offset, index, "its body is shorter than " + n + " bytes");
        }
        int at = window.require(offset, FRAME_HEADER + n, limit);
        byte[] prefix = new byte[n];
        window.buffer.get(at + FRAME_HEADER, prefix);
        return prefix;
    }

    IOException corrupt(long offset, long index, String problem) {
        return new IOException("ledger file " + path + " is corrupt at offset " + offset + " (" + recordName + " "
                + index + "): " + problem);
    }

    /** A read buffer over this file, for walking frames without one read per frame. */
    Window window(int capacity) {
        return new Window(capacity);
    }

    /** Reads up to {@code dst.remaining()} bytes at {@code position}; returns how many (fewer only at the end). */
    int readFully(long position, ByteBuffer dst) throws IOException {
        int start = dst.position();
        for (int attempt = 0;; attempt++) {
            FileChannel ch = reader;
            try {
                while (dst.hasRemaining()) {
                    int n = ch.read(dst, position + dst.position() - start);
                    if (n < 0) {
                        break;
                    }
                }
                return dst.position() - start;
            } catch (ClosedByInterruptException e) {
                // This thread was interrupted and the JDK closed the channel for everyone: reopen it for the
                // others, and let this caller see the interruption.
                reopenReader(ch);
                InterruptedIOException interrupted = new InterruptedIOException("interrupted while reading " + path);
                interrupted.initCause(e);
                throw interrupted;
            } catch (ClosedChannelException e) {
                if (closed || attempt >= 3) {
                    throw e;
                }
                reopenReader(ch);
            }
        }
    }

    private void readFullyOrFail(long position, ByteBuffer dst) throws IOException {
        int want = dst.remaining();
        if (readFully(position, dst) < want) {
            throw new EOFException(path + " ends before offset " + (position + want));
        }
    }

    private synchronized void reopenReader(FileChannel broken) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (reader == broken) {
            reader = FileChannel.open(path, StandardOpenOption.READ);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(writer, reader);
    }

    private static void closeQuietly(AutoCloseable... closeables) {
        for (AutoCloseable c : closeables) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing a ledger file: {}", e.toString());
                }
            }
        }
    }

    /** A window of the file held in memory; {@link #require} moves it. Not thread-safe. */
    final class Window {
        final ByteBuffer buffer;
        private long start;
        private int length;

        Window(int capacity) {
            buffer = ByteBuffer.allocate(capacity);
        }

        /**
         * Makes bytes {@code [position, position + n)} available in {@link #buffer} and returns where they start
         * in it, reading ahead up to {@code limit} (the end of valid data).
         *
         * @throws EOFException when the file ends first
         * @throws IllegalArgumentException when {@code n} exceeds the window
         */
        int require(long position, int n, long limit) throws IOException {
            if (position >= start && position + n <= start + length) {
                return (int) (position - start);
            }
            if (n > buffer.capacity()) {
                throw new IllegalArgumentException(n + " bytes do not fit a window of " + buffer.capacity());
            }
            int want = (int) Math.max(n, Math.min(buffer.capacity(), limit - position));
            buffer.clear().limit(want);
            int got = readFully(position, buffer);
            start = position;
            length = got;
            if (got < n) {
                throw new EOFException(path + " ends before offset " + (position + n));
            }
            return 0;
        }

        /** Where {@code position}, already made available, is in {@link #buffer}. */
        int at(long position) {
            return (int) (position - start);
        }

        /** Whether a body of {@code n} bytes can pass through this window. */
        boolean fits(int n) {
            return n <= buffer.capacity();
        }
    }
}
