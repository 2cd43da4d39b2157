package org.updraft.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.CorruptObjectException;

class UnixFsReaderTest {

    private static final long SEED = 9;

    /** Blocks kept in memory as the importer emits them, counting every fetch. */
    private static final class MemoryBlocks implements BlockSource, BlockSink {
        final Map<Cid, byte[]> blocks = new HashMap<>();
        final List<Cid> fetched = new ArrayList<>();

        @Override
        public void accept(Cid cid, java.nio.ByteBuffer block) {
            byte[] bytes = new byte[block.remaining()];
            block.get(bytes);
            blocks.put(cid, bytes);
        }

        @Override
        public byte[] block(Cid cid) throws IOException {
            fetched.add(cid);
            byte[] block = blocks.get(cid);
            if (block == null) {
                throw new IOException("block " + cid + " is missing");
            }
            return block.clone();
        }
    }

    private record Stored(MemoryBlocks blocks, ImportedFile file, byte[] content) {
    }

    private static Stored store(int size, CidOptions options) throws IOException {
        MemoryBlocks blocks = new MemoryBlocks();
        UnixFsImporter importer = new UnixFsImporter(options, blocks);
        byte[] content = SeededContent.bytes(SEED, size);
        importer.write(content, 0, content.length);
        return new Stored(blocks, importer.finish(), content);
    }

    static Stream<Arguments> files() {
        List<Arguments> all = new ArrayList<>();
        for (CidOptions options : List.of(new CidOptions(0, false, 64), new CidOptions(1, true, 64),
                new CidOptions(1, false, 64))) {
            // empty, one chunk, chunk boundaries, a full node, two levels, three levels
            for (int size : new int[] {0, 1, 63, 64, 65, 174 * 64, 174 * 64 + 1, 10_000, 174 * 174 * 64 + 100}) {
                all.add(Arguments.of(size, options));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} bytes, {1}")
    @MethodSource("files")
    void readsBackEveryByte(int size, CidOptions options) throws IOException {
        Stored stored = store(size, options);
        try (InputStream in = UnixFsReader.open(stored.blocks, stored.file.cid(), 0, -1)) {
            assertArrayEquals(stored.content, in.readAllBytes());
        }
    }

    @ParameterizedTest(name = "{0} bytes, {1}")
    @MethodSource("files")
    void readsRanges(int size, CidOptions options) throws IOException {
        Stored stored = store(size, options);
        long[][] ranges = {
            {0, 10}, {0, size}, {size / 2, 130}, {63, 2}, {64, 64}, {size - 1, 1}, {size - 5, 100},
            {size, 10}, {size + 1000, 10}, {size / 3, 0}, {size / 3, -1}, {0, Long.MAX_VALUE}};
        for (long[] range : ranges) {
            long offset = Math.max(0, range[0]);
            long length = range[1];
            int from = (int) Math.min(offset, size);
            int to = length < 0 ? size : (int) Math.min(size, from + Math.min(length, size));
            byte[] expected = Arrays.copyOfRange(stored.content, from, to);
            try (InputStream in = UnixFsReader.open(stored.blocks, stored.file.cid(), offset, length)) {
                assertArrayEquals(expected, in.readAllBytes(), "range " + offset + "+" + length);
            }
        }
    }

    @Test
    void seeksWithoutFetchingEarlierLeaves() throws IOException {
        Stored stored = store(174 * 174 * 64 + 100, new CidOptions(0, false, 64));
        stored.blocks.fetched.clear();

        try (InputStream in = UnixFsReader.open(stored.blocks, stored.file.cid(), stored.content.length - 10, 10)) {
            assertEquals(10, in.readAllBytes().length);
        }

        // root, one node per level below it, one leaf
        assertEquals(4, stored.blocks.fetched.size(), stored.blocks.fetched.toString());
    }

    @Test
    void aCorruptLeafStopsTheStreamBeforeAnyOfItsBytes() throws IOException {
        Stored stored = store(10 * 64, new CidOptions(0, false, 64));
        UnixFsNode root = UnixFsNode.decode(stored.file.cid(), stored.blocks.blocks.get(stored.file.cid()));
        Cid fourth = root.links().get(3).cid();
        byte[] block = stored.blocks.blocks.get(fourth);
        block[block.length / 2] ^= 0x01;

        InputStream in = UnixFsReader.open(stored.blocks, stored.file.cid(), 0, -1);
        byte[] received = new byte[stored.content.length];
        int total = 0;
        CorruptObjectException thrown = null;
        try {
            int n;
            while ((n = in.read(received, total, received.length - total)) > 0) {
                total += n;
            }
        } catch (CorruptObjectException e) {
            thrown = e;
        }

        assertTrue(thrown != null, "the corrupt block was served");
        assertTrue(thrown.getMessage().contains(fourth.toString()), thrown.getMessage());
        assertEquals(3 * 64, total, "bytes served before the corrupt block");
        assertArrayEquals(Arrays.copyOf(stored.content, total), Arrays.copyOf(received, total));
    }

    @Test
    void aCorruptRootFailsAtOpen() throws IOException {
        Stored stored = store(1000, CidOptions.V1);
        stored.blocks.blocks.get(stored.file.cid())[0] ^= 0x40;

        CorruptObjectException thrown = assertThrows(CorruptObjectException.class,
                () -> UnixFsReader.open(stored.blocks, stored.file.cid(), 0, -1));
        assertTrue(thrown.getMessage().contains(stored.file.cid().toString()), thrown.getMessage());
    }

    @Test
    void aMissingBlockReportsWhatTheSourceSays() throws IOException {
        Stored stored = store(5 * 64, new CidOptions(0, false, 64));
        UnixFsNode root = UnixFsNode.decode(stored.file.cid(), stored.blocks.blocks.get(stored.file.cid()));
        stored.blocks.blocks.remove(root.links().get(2).cid());

        InputStream in = UnixFsReader.open(stored.blocks, stored.file.cid(), 0, -1);
        IOException thrown = assertThrows(IOException.class, in::readAllBytes);
        assertTrue(thrown.getMessage().contains("missing"), thrown.getMessage());
    }

    @Test
    void negativeOffsetIsRefused() throws IOException {
        Stored stored = store(10, CidOptions.DEFAULT);
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                () -> UnixFsReader.open(stored.blocks, stored.file.cid(), -1, 5));
        assertEquals("offset must not be negative, was -1", thrown.getMessage());
    }

    @Test
    void decodesAnInternalNode() throws IOException {
        Stored stored = store(3 * 64 + 1, new CidOptions(1, true, 64));
        UnixFsNode root = UnixFsNode.decode(stored.file.cid(), stored.blocks.blocks.get(stored.file.cid()));

        assertEquals(4, root.links().size());
        assertEquals(3 * 64 + 1, root.fileSize());
        assertEquals(64, root.blockSize(0));
        assertEquals(1, root.blockSize(3));
        assertEquals(0, root.content().remaining());
        UnixFsNode.Link last = root.links().get(3);
        assertEquals(Cid.RAW, last.cid().codec());
        assertEquals("", last.name());
        assertEquals(1, last.tsize());
    }

    @Test
    void decodesALeafAndItsContent() throws IOException {
        Stored stored = store(6, CidOptions.DEFAULT);
        UnixFsNode leaf = UnixFsNode.decode(stored.file.cid(), stored.blocks.blocks.get(stored.file.cid()));

        assertTrue(leaf.links().isEmpty());
        assertEquals(6, leaf.fileSize());
        byte[] content = new byte[leaf.content().remaining()];
        leaf.content().get(content);
        assertArrayEquals(stored.content, content);
    }

    @Test
    void refusesBlocksThatAreNotUnixFsFileNodes() {
        Cid any = Cid.v0(new byte[32]);
        // a UnixFS directory: PBNode{Data: UnixFS{Type: Directory}}
        IllegalArgumentException directory = assertThrows(IllegalArgumentException.class,
                () -> UnixFsNode.decode(any, new byte[] {0x0a, 0x02, 0x08, 0x01}));
        assertEquals("UnixFS node of type directory is not part of a file", directory.getMessage());

        IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class,
                () -> UnixFsNode.decode(any, new byte[] {0x0a, 0x0c, 0x08, 0x02}));
        assertTrue(truncated.getMessage().contains("runs past the end"), truncated.getMessage());

        IllegalArgumentException noData = assertThrows(IllegalArgumentException.class,
                () -> UnixFsNode.decode(any, new byte[0]));
        assertEquals("dag-pb node carries no UnixFS data", noData.getMessage());

        // UnixFS{Type: File, filesize: 5, blocksizes: [5]} without any link
        IllegalArgumentException sizes = assertThrows(IllegalArgumentException.class,
                () -> UnixFsNode.decode(any, new byte[] {0x0a, 0x06, 0x08, 0x02, 0x18, 0x05, 0x20, 0x05}));
        assertEquals("UnixFS node has 0 links but 1 blocksizes", sizes.getMessage());

        // UnixFS{Type: File, Data: "ab", filesize: 3}
        IllegalArgumentException filesize = assertThrows(IllegalArgumentException.class,
                () -> UnixFsNode.decode(any, new byte[] {0x0a, 0x08, 0x08, 0x02, 0x12, 0x02, 'a', 'b', 0x18, 0x03}));
        assertEquals("UnixFS filesize 3 does not match the 2 bytes of its data and children", filesize.getMessage());
    }
}
