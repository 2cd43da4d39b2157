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
import org.junit.jupiter.params.provider.CsvSource;
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
        assertEquals(oracle.stdout(), Cli.run("cid", "--json", file.toString()).ok(), "ipfs_cid's own output, byte for byte");
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

    /**
     * CIDs a real IPFS node printed for these files: js-ipfs 0.66.1, offline, {@code ipfs.add(stream, {onlyHash:
     * true, cidVersion, rawLeaves, chunker})}, each file {@link SeededFile} with seed = size. The CIDv0 rows also
     * equal ipfs_cid's answers; the CIDv1 rows above one chunk are what ipfs_cid cannot answer.
     */
    @ParameterizedTest(name = "{0} bytes, --cid-version {1} --raw-leaves={2} --chunker {3}")
    @CsvSource({
            "0, 0, false, size-262144, QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
            "0, 1, true, size-262144, bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
            "0, 1, false, size-262144, bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y",
            "1, 0, false, size-262144, QmeMPWbCGPZascKZPXWAhxpq7kGfrcM4UnBFeeqbwGU24h",
            "1, 1, true, size-262144, bafkreiaehjyyo5gfok6yujnnx2y37tk4ajlk4eooz6pzyp4sluhffpvpre",
            "1, 1, false, size-262144, bafybeihn5nrpmiz6txua7oowptzqpbcai3c6mjrrarmgrlnplyrbvwopmi",
            "262143, 0, false, size-262144, QmZEHy1NUbULsMoDLGj9r13b6nc4HcYRu8jy2EdBGNUtV2",
            "262143, 1, true, size-262144, bafkreibyiysgrb3w4ixxbpvpdxregsorzclrvhggmimerrkzonxwc7nvmm",
            "262143, 1, false, size-262144, bafybeifbz6o7nihfygieguhunddqjzjwhqs64urb4v27v44yahsnxns45u",
            "262144, 0, false, size-262144, QmcDTdr1YAQYm2iJLPaQMT3uxrsQzk5MoM5effJ89po3ff",
            "262144, 1, true, size-262144, bafkreifidulqum5vpffl77rbnygk3gssw5u7js2u5mdzwmurrxv4ua6zea",
            "262144, 1, false, size-262144, bafybeigofqd453l5ozeit26slanfh5sk2diwmxizoscykmenkzmskbr5ni",
            "262145, 0, false, size-262144, QmeUwJszfBXZetPRJaybKWoAUi2kJgcbGDdWdNBZ2J5Veu",
            "262145, 1, true, size-262144, bafybeiakimoudtluiti5rxqolmfh5vjkeh3kbik3c5qwgpahkpd7t4675u",
            "262145, 1, false, size-262144, bafybeibtx7i7nelpifvolzznzjlbozsmnksngqowb66ngirlaytvk4tn5i",
            "47285920, 0, false, size-262144, QmayBP5zugSrKrwXtWu1AJbrL9yedn8JAD3itHSVmu3d9Z",
            "47285920, 1, true, size-262144, bafybeibr7xkh6ds5o5ptniayrqatrhuv2zc6gmxek63jknksin2mihlsey",
            "47285920, 1, false, size-262144, bafybeiesrpihxyekbqnazfagpnrirbekmqzfhngjl26fx46p3j5unasp2i",
            "100000, 0, false, size-32768, QmZX89LtNJZ3Bc8bedxfakFkR491NBjy523M9jixBcD2q7",
            "100000, 1, true, size-32768, bafybeiad5kexq73x5pturimevyzflhg7yzjizt24kxjyt5w5wojq2f3auq",
            "100000, 1, false, size-32768, bafybeieytbkdfxatnrwvjsdzsoejirpcdsc4lnhi7444t5dnubowzuqc2y",
            "200000, 0, false, size-1000, QmfKjFBfiJX3SgTzEctdfJ3p3J32hhkhETyQXxN8JGXp9m",
            "200000, 1, true, size-1000, bafybeiaix4fvz4rmnlssdqddbq6ffd22ip27juknnbi2zfh5lbseebmwiu",
            "200000, 1, false, size-1000, bafybeicb4sf5en2oablsktf6hfxcenxp3naygibonqrgo3zpprlac2b2fi",
            "200000, 1, true, size-1048576, bafkreiactflubfxknt4ywkakmc6ifsxk7o55lyy6s44jdlqatn6hzttiye",
            "200000, 0, false, size-1048576, QmToQzqx3rAVEQNFS86dZeRtVGXVUkwuXmondvNBh8fm4y",
            "47285920, 1, true, size-1048576, bafybeib5hko2ize6r4vkg54fofztgjh3p56flpraadbkai2r5doslhkjju",
            "47285920, 0, false, size-1048576, QmaDxtKaDttHPv9pckPKz329to3d9isz7St9HB1U5obDHD"
    })
    void matchesARealIpfsNode(long size, int version, boolean rawLeaves, String chunker, String expected)
            throws Exception {
        Path file = SeededFile.write(dir.resolve("f" + size), size, size);
        assertEquals(expected, cid("cid", "--cid-version", Integer.toString(version), "--raw-leaves=" + rawLeaves,
                "--chunker", chunker, file.toString()));
        if (chunker.equals("size-262144") && rawLeaves == (version == 1)) {
            // the same with ipfs add's defaults spelled out by omission
            assertEquals(expected, cid("cid", "--cid-version", Integer.toString(version), file.toString()));
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
