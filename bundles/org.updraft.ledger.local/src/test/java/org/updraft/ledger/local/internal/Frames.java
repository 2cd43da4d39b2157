package org.updraft.ledger.local.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.updraft.api.ledger.LedgerEvent;

/**
 * The on-disk frame format written out once more for tests, independently of {@link RecordFile}'s parser, so
 * that tests can damage files at exact places.
 */
final class Frames {

    static final int MAGIC = 8;
    static final int HEADER = 16;

    /** One frame: where it starts and how long its body is. */
    record Frame(long index, long offset, int bodyLength, boolean batchStart) {
        long bodyOffset() {
            return offset + HEADER;
        }

        long end() {
            return offset + HEADER + bodyLength;
        }
    }

    private Frames() {
    }

    static List<Frame> list(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        List<Frame> out = new ArrayList<>();
        int pos = MAGIC;
        while (pos + HEADER <= b.limit()) {
            int flagsAndLength = b.getInt(pos + 4);
            int length = flagsAndLength & 0x7FFF_FFFF;
            if (pos + HEADER + length > b.limit()) {
                break;
            }
            out.add(new Frame(b.getLong(pos + 8), pos, length, flagsAndLength < 0));
            pos += HEADER + length;
        }
        return out;
    }

    /** XORs one byte of the file. */
    static void flip(Path file, long offset) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) offset] ^= 0x5A;
        Files.write(file, bytes);
    }

    /** Replaces a frame's body with {@code body} of the same length and fixes its checksum, as a forger would. */
    static void forge(Path file, Frame frame, byte[] body) throws IOException {
        if (body.length != frame.bodyLength()) {
            throw new IllegalArgumentException("same length only");
        }
        byte[] bytes = Files.readAllBytes(file);
        System.arraycopy(body, 0, bytes, (int) frame.bodyOffset(), body.length);
        CRC32C crc = new CRC32C();
        crc.update(bytes, (int) frame.offset() + 4, HEADER - 4 + body.length);
        ByteBuffer.wrap(bytes).putInt((int) frame.offset(), (int) crc.getValue());
        Files.write(file, bytes);
    }

    static byte[] body(Path file, Frame frame) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        byte[] body = new byte[frame.bodyLength()];
        System.arraycopy(bytes, (int) frame.bodyOffset(), body, 0, body.length);
        return body;
    }

    static void truncate(Path file, long size) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, java.nio.file.StandardOpenOption.APPEND);
    }

    /** A test event whose payload says who appended it. */
    static LedgerEvent event(String tag, long n) {
        byte[] payload = (tag + ":" + n + ":" + "p".repeat((int) (n % 97))).getBytes();
        return new LedgerEvent("test.event", Instant.ofEpochMilli(1_700_000_000_000L + n), "did:key:zTestActor",
                payload, n % 3 == 0 ? null : new byte[] {(byte) n, 1, 2});
    }
}
