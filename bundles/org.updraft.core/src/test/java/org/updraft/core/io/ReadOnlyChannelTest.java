package org.updraft.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.core.delta.Deltas;

class ReadOnlyChannelTest {

    /** Serves at most 3 bytes a read, recording where each read started. */
    private static final class Chunked extends ReadOnlyChannel {
        final byte[] bytes;
        final List<Long> reads = new ArrayList<>();

        Chunked(byte[] bytes) {
            super(bytes.length);
            this.bytes = bytes;
        }

        @Override
        protected int readAt(long position, ByteBuffer dst, int length) {
            reads.add(position);
            int n = Math.min(3, length);
            dst.put(bytes, (int) position, n);
            return n;
        }
    }

    @Test
    void readsFromItsPositionNeverPastItsSizeAndEndsWithMinusOne() throws Exception {
        Chunked channel = new Chunked(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7 });
        channel.position(6);
        ByteBuffer buffer = ByteBuffer.allocate(10);
        assertEquals(2, channel.read(buffer), "only what is left, though the buffer has room");
        assertEquals(8, channel.position());
        assertEquals(-1, channel.read(buffer));
        channel.position(100);
        assertEquals(-1, channel.read(buffer), "a position past the end reads nothing");
        assertEquals(List.of(6L), channel.reads, "the source is not asked at or past the end");

        channel.position(1);
        assertEquals(0, channel.read(ByteBuffer.allocate(0)), "an empty buffer reads nothing, source not asked");
        assertEquals(List.of(6L), channel.reads);
        ByteBuffer some = ByteBuffer.allocate(5);
        assertEquals(3, channel.read(some), "as much as the source gave");
        assertEquals(4, channel.position());
    }

    @Test
    void refusesWritesAndEverythingOnceClosed() throws Exception {
        SeekableByteChannel channel = Deltas.channel(new byte[] { 9, 8, 7 });
        assertThrows(NonWritableChannelException.class, () -> channel.write(ByteBuffer.allocate(1)));
        assertThrows(NonWritableChannelException.class, () -> channel.truncate(0));
        assertThrows(IllegalArgumentException.class, () -> channel.position(-1));
        ByteBuffer all = ByteBuffer.allocate(3);
        assertEquals(3, channel.read(all));
        assertArrayEquals(new byte[] { 9, 8, 7 }, all.array());
        channel.close();
        assertThrows(ClosedChannelException.class, () -> channel.read(ByteBuffer.allocate(1)));
        assertThrows(ClosedChannelException.class, channel::size);
        assertThrows(ClosedChannelException.class, channel::position);
    }
}
