package org.updraft.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;

class UnixFsImporterTest {

    private static final long SEED = 42;
    private static final int CHUNK = CidOptions.DEFAULT_CHUNK_SIZE;
    private static final CidOptions V1_DAG_PB_LEAVES = new CidOptions(1, false, CHUNK);

    /** 174 chunks fill one node; one byte more makes a two-level tree. */
    private static final long ONE_FULL_NODE = 174L * CHUNK;

    @Test
    void helloIsTheCidEveryIpfsNodeGives() throws IOException {
        ImportedFile file = cid("hello\n".getBytes(StandardCharsets.US_ASCII), CidOptions.DEFAULT);

        assertEquals("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN", file.cid().toString());
        assertEquals(6, file.size());
        assertEquals(1, file.blocks());
    }

    @Test
    void emptyFileIsOneEmptyUnixFsLeaf() throws IOException {
        ImportedFile file = cid(new byte[0], CidOptions.DEFAULT);

        assertEquals("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", file.cid().toString());
        assertEquals(0, file.size());
        assertEquals(1, file.blocks());
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 6, 1000, CHUNK - 1, CHUNK})
    void singleChunkWithRawLeavesIsTheRawCodecOverTheSha256OfTheBytes(int size) throws Exception {
        byte[] content = SeededContent.bytes(SEED, size);

        Cid cid = cid(content, CidOptions.V1).cid();

        assertEquals(1, cid.version());
        assertEquals(Cid.RAW, cid.codec());
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(content), cid.digest());
        assertTrue(cid.toString().startsWith("bafkrei"), cid.toString());
    }

    /** Sizes around the chunk and node boundaries, a two-level tree, and a few in between. */
    static Stream<Long> oracleSizes() {
        return Stream.of(0L, 1L, 7L, 1000L, CHUNK - 1L, (long) CHUNK, CHUNK + 1L, 300_000L, 4L * CHUNK + 3,
                5_000_000L, ONE_FULL_NODE, ONE_FULL_NODE + 1, 45L * 1024 * 1024 + 12_345);
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("oracleSizes")
    void cidV0EqualsIpfsCid(long size, @TempDir Path dir) throws Exception {
        Path file = SeededContent.write(SEED, size, dir.resolve("content"));

        IpfsCidOracle.Answer oracle = IpfsCidOracle.ask(file);
        ImportedFile ours = UnixFsImporter.cid(new SeededContent(SEED, size), CidOptions.DEFAULT);

        assertEquals(oracle.v0(), ours.cid().toString());
        assertEquals(size, ours.size());
    }

    /**
     * ipfs_cid's "CIDv1" is its CIDv0 root re-labelled as CIDv1 (same multihash). A node adding with
     * {@code --cid-version 1 --raw-leaves=false} writes CIDv1 links into the nodes, so above one chunk its root
     * hash differs; for one chunk there are no links and the two agree.
     */
    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("oracleSizes")
    void ipfsCidV1IsTheV0RootRelabelledNotWhatANodeBuildsWithCidVersion1(long size, @TempDir Path dir)
            throws Exception {
        IpfsCidOracle.Answer oracle = IpfsCidOracle.ask(SeededContent.write(SEED, size, dir.resolve("content")));
        Cid v0 = UnixFsImporter.cid(new SeededContent(SEED, size), CidOptions.DEFAULT).cid();
        Cid v1 = UnixFsImporter.cid(new SeededContent(SEED, size), V1_DAG_PB_LEAVES).cid();

        assertEquals(oracle.v1(), v0.toV1().toString());
        if (size <= CHUNK) {
            assertEquals(oracle.v1(), v1.toString());
        } else {
            assertNotEquals(oracle.v1(), v1.toString());
        }
    }

    /**
     * CIDs js-ipfs 0.66.1 (ipfs-unixfs-importer 12.0.1) returned for {@link SeededContent} seed 42 through
     * {@code POST /api/v0/add} with {@code cid-version=0}, {@code cid-version=1&raw-leaves=false} and
     * {@code cid-version=1&raw-leaves=true} ({@code cid-base=base32}).
     */
    static Stream<Arguments> jsIpfs() {
        return Stream.of(
            Arguments.of(0L, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
            Arguments.of(1L, "QmP6W5oNmcaoWE2hMSSi2mbnGWAjDi6cPor46LM5TeVskR", "bafybeialhpgvx4eptglyd57gn32aggjqhgtkt4ts5ndod66vhmb22mzazy", "bafkreic3vugrcmvmcuwpmv56remk4frvpbci2vwubxxzuwip4pokwdbttm"),
            Arguments.of(6L, "QmPBZH9sNqJMo6enG6jDcn73GFFvTxFeH6kMfVBxNM8zdt", "bafybeiamq5i5mcwjy56yotojk6qpkgdjltxy3q7ge52o3ix475p77fdis4", "bafkreigasqn5b3gt727hk62jrc7jrjxorynjqxe5tylmstvetg7gsmqezm"),
            Arguments.of(7L, "Qmd5A4GaWHf3Q5TUkyq31oasS6uMzC58vnTvms6Fxon9Kw", "bafybeig244y4lw7m4tsuj7atewf452tls4wvbkf27bttj32fyytxfcmowi", "bafkreifs3xhm2fszk747ac3ju5zektfcehnu2bahhgvo47fz7rdbcqzy6i"),
            Arguments.of(1000L, "QmP9AY5t743yyNo4DTfCTMbPJNYUKqQufpgfoq8scHRbVB", "bafybeial5jywk5ajwpjoh36vqpucxs6ccwribk2ygzuhhabt7auhchr4zi", "bafkreieupdncetmtra4jgaemmv6vi6qkj5ao2mse2dy4yut6f3ridub7iq"),
            Arguments.of(262143L, "QmZ4pj9v8aU3kajJgHooyaNHuq68NDTeVQW9qqoVWaHkQP", "bafybeie7mkltro6uoubctnm6zt3bznqyocc5dtdzmd3c4oijnpg7m77zba", "bafkreihy4ghfov75luzcow2piws3taovmwgzrvusdfsbecth4cwpfzqzye"),
            Arguments.of(262144L, "QmfR1mqyPEEJEULDD2xqNAUTDQuZyKowgtLaJGuJu2uFYg", "bafybeih5wtizfbyxr4azo72zjdry37qzuke7wr3un72a6steixulztaccu", "bafkreihadgqyctk5v5a4hpracruca5ai72oqtnyoyqaklmbphnpbv34l6i"),
            Arguments.of(262145L, "QmPrYz7TPKBGdPj26phUxVySVEAxAMJReE3ouLVfa7qfgQ", "bafybeih7zhd3fyoadbjdcfr7dh4cbpter6jl6vapxiqdjopd267k22lgmy", "bafybeigafhro6fquvmzfrpayc5uyosu4ztjevtawjlmgdcoxqtj6z4anri"),
            Arguments.of(300000L, "QmVoc7YYSyNoWRy5SV2mfg9M6bXhk5wYE6NR3jE5ZYvcsM", "bafybeih6n6df3j734yeewxy2a6ceolx6hzqh5uyonmdq6qaqiycutreywy", "bafybeibpknjmw777jpeuomvj6zh4frypa7hvz75huutzddvnatvszyidry"),
            Arguments.of(1048579L, "QmfZaBZuk776KutzNxaXS8ZTkesNVQwq1LK1S6FBU4Vd1P", "bafybeidzumblilmle7em4cdhqtoxvhpjlh2lkh45zeamhp5hbhexkiwmfu", "bafybeicncthoifqfolke3zf4fj7fxq5aryqsjgr7ibrp4eosuozgk7pdne"),
            Arguments.of(5000000L, "QmXwHaMgZyAF3AJJ9xAhHXxyBwiyccFwYnFhfPooyzCxzk", "bafybeihzlrmyplrnaxdpqkiimeb2yphdincfc5pj5x4n6nabrfqc3rkdb4", "bafybeic7y54c4e3csmcomtcxubzlocz2wbdrl567mzpsihqfrwzdt77rjm"),
            Arguments.of(45613056L, "QmZ2JCL3wScCkDtmtQB8kQZwagC7BGLNKDRtZkep8UotGK", "bafybeihm23mfjg7ytza2scn4kthas6zo52uabkg5rjor4qy7t4px3qqvd4", "bafybeiftdscokasupwpn4ln2l6li3iymkgry2qy6mavch3ddyu6ym5rkou"),
            Arguments.of(45613057L, "QmULfoik4ASZpG623UG4gdC8zsU9W29UcZk1c1UYeNbWt3", "bafybeidcxsudhh5jsfurj462koiy5gqhw3b667k7rbonbynptbq5lxvroe", "bafybeic3wprxbk5eba4ho6b7qhwrrza5bl2gnvnumpm66xqxvhewtqhpta"),
            Arguments.of(47198265L, "QmXTrfVjTuNBamgXR1pr2zvTsHBQRGZxPGiA8v7vgMvAMc", "bafybeia5r75tnul3izod7tkedvynsfdahj7t4rleyftei3xmyh45jvhovi", "bafybeigfrknknpujgibfuiqvspq6cslwiwdhzq2f3wthnidqkynyxlzyrq"));
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("jsIpfs")
    void everyCidModeEqualsWhatJsIpfsAdds(long size, String v0, String v1DagPbLeaves, String v1RawLeaves)
            throws IOException {
        assertEquals(v0, UnixFsImporter.cid(new SeededContent(SEED, size), CidOptions.DEFAULT).cid().toString());
        assertEquals(v1DagPbLeaves,
                UnixFsImporter.cid(new SeededContent(SEED, size), V1_DAG_PB_LEAVES).cid().toString());
        assertEquals(v1RawLeaves, UnixFsImporter.cid(new SeededContent(SEED, size), CidOptions.V1).cid().toString());
    }

    /**
     * 64-byte chunks make a three-level tree out of 1.9 MB: 174 × 174 chunks fill two levels exactly, 100 more
     * bytes add a third. Values from js-ipfs 0.66.1 with {@code chunker=size-64}, seed 7.
     */
    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("threeLevels")
    void threeLevelTreesEqualJsIpfs(long size, String v0, String v1DagPbLeaves, String v1RawLeaves, long blocks)
            throws IOException {
        ImportedFile file = UnixFsImporter.cid(new SeededContent(7, size), new CidOptions(0, false, 64));
        assertEquals(v0, file.cid().toString());
        assertEquals(blocks, file.blocks());
        assertEquals(v1DagPbLeaves,
                UnixFsImporter.cid(new SeededContent(7, size), new CidOptions(1, false, 64)).cid().toString());
        assertEquals(v1RawLeaves,
                UnixFsImporter.cid(new SeededContent(7, size), new CidOptions(1, true, 64)).cid().toString());
    }

    static Stream<Arguments> threeLevels() {
        return Stream.of(
            Arguments.of(1937664L, "QmW7bzwdyRuSRSh2dAHK3qm7oWNZMMTuwnTmRiPLNDJwmF", "bafybeifgjzpsdupbk2crgae6q2dlfrzckttkkrfnkh74vol3ij4mtjjyyi", "bafybeie7kdtxgnpjnodtmmrxcj3jcwzkwuky6kw2nggakgipkasiqphae4",
                    174 * 174 + 174 + 1),
            Arguments.of(1937764L, "QmPbEuU5oRLSM6gtStxi3EsiCe8Ve35jB8E8yT39Thsycq", "bafybeidutjjm2icxxyvtixof66nztgr6bso7xxvlpkvg5iacbf2pmmvhla", "bafybeigiddo2nnmeaxeew3mdwtha46osw5cppf2hrj2ccg55yi4fdi7cie",
                    (174 * 174 + 2) + (174 + 1) + 2 + 1));
    }

    @Test
    void chunkBoundariesDoNotDependOnHowTheBytesArrive() throws IOException {
        long size = 3L * CHUNK + 777;
        Cid expected = UnixFsImporter.cid(new SeededContent(SEED, size), CidOptions.DEFAULT).cid();

        // a stream that hands out at most 1000 bytes per read, like a socket
        InputStream trickle = new SeededContent(SEED, size) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1000));
            }
        };
        assertEquals(expected, UnixFsImporter.cid(trickle, CidOptions.DEFAULT).cid());

        // write() in uneven pieces
        byte[] all = SeededContent.bytes(SEED, (int) size);
        UnixFsImporter importer = new UnixFsImporter(CidOptions.DEFAULT, BlockSink.DISCARD);
        int pos = 0;
        int piece = 1;
        while (pos < all.length) {
            int n = Math.min(piece, all.length - pos);
            importer.write(all, pos, n);
            pos += n;
            piece = piece * 3 + 1;
        }
        assertEquals(expected, importer.finish().cid());
    }

    @ParameterizedTest(name = "cid version {0}, raw leaves {1}")
    @MethodSource("modes")
    void blocksMatchTheirCidsAndArriveChildrenFirstRootLast(int version, boolean rawLeaves) throws IOException {
        CidOptions options = new CidOptions(version, rawLeaves, 64);
        List<Cid> order = new ArrayList<>();
        Set<Cid> seen = new HashSet<>();
        UnixFsImporter importer = new UnixFsImporter(options, (cid, block) -> {
            byte[] bytes = new byte[block.remaining()];
            block.get(bytes);
            assertTrue(UnixFsReader.matches(cid, bytes), "block " + cid + " does not hash to its CID");
            for (UnixFsNode.Link link : UnixFsNode.decode(cid, bytes).links()) {
                assertTrue(seen.contains(link.cid()), "parent " + cid + " arrived before its child " + link.cid());
                assertEquals(version, link.cid().version());
            }
            seen.add(cid);
            order.add(cid);
        });
        importer.readFrom(new SeededContent(SEED, 174 * 64 * 3 + 5));
        ImportedFile file = importer.finish();

        assertEquals(file.cid(), order.get(order.size() - 1));
        assertEquals(file.blocks(), order.size());
        assertEquals(174 * 3 + 1 + 4 + 1, order.size());
    }

    static Stream<Arguments> modes() {
        return Stream.of(Arguments.of(0, false), Arguments.of(1, false), Arguments.of(1, true));
    }

    @Test
    void sinkGetsReadOnlyViewsOfExactlyTheBlock() throws IOException {
        List<ByteBuffer> blocks = new ArrayList<>();
        UnixFsImporter importer = new UnixFsImporter(CidOptions.DEFAULT, (cid, block) -> blocks.add(block));
        importer.write("hello\n".getBytes(StandardCharsets.US_ASCII), 0, 6);
        importer.finish();

        ByteBuffer leaf = blocks.get(0);
        assertTrue(leaf.isReadOnly());
        byte[] bytes = new byte[leaf.remaining()];
        leaf.get(bytes);
        // PBNode{Data: UnixFS{Type: File, Data: "hello\n", filesize: 6}}
        assertArrayEquals(new byte[] {0x0a, 0x0c, 0x08, 0x02, 0x12, 0x06, 'h', 'e', 'l', 'l', 'o', '\n', 0x18, 0x06},
                bytes);
    }

    @Test
    void aStreamThatFailsLeavesTheImportUnfinishable() throws IOException {
        UnixFsImporter importer = new UnixFsImporter(CidOptions.DEFAULT, BlockSink.DISCARD);
        // fails after one chunk and a bit, like a dropped upload
        InputStream failing = new SeededContent(SEED, Long.MAX_VALUE) {
            long left = CHUNK + 10;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    throw new IOException("connection reset");
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                left -= n;
                return n;
            }
        };

        IOException thrown = assertThrows(IOException.class, () -> importer.readFrom(failing));
        assertEquals("connection reset", thrown.getMessage());
        assertThrows(IllegalStateException.class, importer::finish);
    }

    @Test
    void aSinkFailureAbortsTheImport() throws IOException {
        UnixFsImporter importer = new UnixFsImporter(CidOptions.DEFAULT, (cid, block) -> {
            throw new IOException("disk full");
        });

        assertThrows(IOException.class, () -> importer.readFrom(new SeededContent(SEED, CHUNK)));
        assertThrows(IllegalStateException.class, () -> importer.write(new byte[1], 0, 1));
    }

    @Test
    void finishTwiceGivesTheSameFile() throws IOException {
        UnixFsImporter importer = new UnixFsImporter(CidOptions.DEFAULT, BlockSink.DISCARD);
        importer.readFrom(new ByteArrayInputStream(new byte[10]));
        ImportedFile first = importer.finish();
        assertSame(first, importer.finish());
        assertThrows(IllegalStateException.class, () -> importer.write(new byte[1], 0, 1));
    }

    private static ImportedFile cid(byte[] content, CidOptions options) throws IOException {
        return UnixFsImporter.cid(new ByteArrayInputStream(content), options);
    }
}
