package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.updraft.api.multiformats.Cid;

class CidCommandTest {

    private static final int CHUNK = 262144;

    @TempDir
    Path dir;

    private static String cid(String... args) {
        String out = Cli.run(args).ok();
        assertTrue(out.endsWith("\n") && out.indexOf('\n') == out.length() - 1, () -> "one line: " + out);
        return out.strip();
    }

    /** Around the chunk boundary, and 45 MiB: 181 chunks, more than one node's 174 links, so two levels. */
    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 45L * 1024 * 1024 + 100_000})
    void matchesIpfsCid(long size) throws Exception {
        Path file = SeededFile.write(dir.resolve("f" + size), size, size);
        IpfsCid.Answer oracle = IpfsCid.of(file);

        assertEquals(oracle.v0(), cid("cid", file.toString()), "CIDv0");
        assertEquals(oracle.v0(), cid("cid", "--cid-version", "0", "--chunker", "size-262144", file.toString()));

        String v1DagPb = cid("cid", "--cid-version", "1", "--raw-leaves=false", file.toString());
        if (size <= CHUNK) {
            // one node, no links: ipfs_cid's CIDv1 (its CIDv0 root re-encoded) is what ipfs add prints
            assertEquals(oracle.v1(), v1DagPb, "CIDv1 without raw leaves");
        } else {
            // above one chunk ipfs add links the children as CIDv1, so the root is another node
            assertEquals(Cid.parse(oracle.v0()).toV1().toString(), oracle.v1());
            assertNotEquals(oracle.v1(), v1DagPb);
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 1000, CHUNK})
    void aFileOfOneChunkUnderCidVersion1IsOneRawBlock(int size) throws Exception {
        Path file = SeededFile.write(dir.resolve("f"), size, size);
        Cid raw = Cid.v1(Cid.RAW, MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertEquals(raw.toString(), cid("cid", "--cid-version", "1", file.toString()));
        assertEquals(raw.toString(), cid("cid", "--cid-version=1", "--raw-leaves", file.toString()));
        assertTrue(raw.toString().startsWith("bafkrei"));
    }

    @Test
    void theChunkerDecidesTheTree() throws Exception {
        Path file = SeededFile.write(dir.resolve("f"), 7, 100_000);
        // one 256 KiB chunk, but four of 32 KiB: a tree of dag-pb nodes
        String whole = cid("cid", file.toString());
        String small = cid("cid", "--chunker=size-32768", file.toString());
        assertNotEquals(whole, small);
        assertEquals(small, cid("cid", "--chunker", "size-32768", file.toString()));
        // a chunk as large as the file is the same single leaf as the default
        assertEquals(whole, cid("cid", "--chunker", "size-100000", file.toString()));
    }
}
