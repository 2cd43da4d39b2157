package org.updraft.core.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.InclusionProof;

class MerkleTreeTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final int MAX_LEAVES = 70;

    /** The eight leaves of the Certificate Transparency test vectors (RFC 6962 implementations' test data). */
    private static final List<byte[]> CT_LEAVES = List.of(HEX.parseHex(""), HEX.parseHex("00"),
            HEX.parseHex("10"), HEX.parseHex("2021"), HEX.parseHex("3031"), HEX.parseHex("40414243"),
            HEX.parseHex("5051525354555657"), HEX.parseHex("606162636465666768696a6b6c6d6e6f"));

    /** Their roots for the first 1..8 leaves, as published with those test vectors. */
    private static final List<String> CT_ROOTS = List.of(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");

    // ------------------------------------------------------------ the reference: RFC 9162 §2.1, literally

    private static byte[] sha256(byte prefix, byte[]... parts) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        if (prefix >= 0) {
            sha.update(prefix);
        }
        for (byte[] p : parts) {
            sha.update(p);
        }
        return sha.digest();
    }

    private static long k(long n) {
        long k = 1;
        while (k * 2 < n) {
            k *= 2;
        }
        return k;
    }

    static byte[] mth(List<byte[]> d) throws Exception {
        int n = d.size();
        if (n == 0) {
            return sha256((byte) -1);
        }
        if (n == 1) {
            return sha256((byte) 0, d.get(0));
        }
        int k = (int) k(n);
        return sha256((byte) 1, mth(d.subList(0, k)), mth(d.subList(k, n)));
    }

    static List<byte[]> path(int m, List<byte[]> d) throws Exception {
        int n = d.size();
        List<byte[]> out = new ArrayList<>();
        if (n == 1) {
            return out;
        }
        int k = (int) k(n);
        if (m < k) {
            out.addAll(path(m, d.subList(0, k)));
            out.add(mth(d.subList(k, n)));
        } else {
            out.addAll(path(m - k, d.subList(k, n)));
            out.add(mth(d.subList(0, k)));
        }
        return out;
    }

    static List<byte[]> subproof(int m, List<byte[]> d, boolean b) throws Exception {
        int n = d.size();
        List<byte[]> out = new ArrayList<>();
        if (m == n) {
            if (!b) {
                out.add(mth(d));
            }
            return out;
        }
        int k = (int) k(n);
        if (m <= k) {
            out.addAll(subproof(m, d.subList(0, k), b));
            out.add(mth(d.subList(k, n)));
        } else {
            out.addAll(subproof(m - k, d.subList(k, n), false));
            out.add(mth(d.subList(0, k)));
        }
        return out;
    }

    // ------------------------------------------------------------ fixtures

    private static List<byte[]> leaves(int n) {
        List<byte[]> d = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            d.add(("leaf " + i + " " + "x".repeat(i % 7)).getBytes());
        }
        return d;
    }

    private static List<byte[]> leafHashes(List<byte[]> d) {
        return d.stream().map(MerkleHash::leafHash).toList();
    }

    private static void assertSameHashes(List<byte[]> expected, List<byte[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": length");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ": hash " + i);
        }
    }

    private static List<byte[]> flipped(List<byte[]> path, int i) {
        List<byte[]> copy = new ArrayList<>(path.stream().map(byte[]::clone).toList());
        copy.get(i)[i % MerkleHash.SIZE] ^= 0x40;
        return copy;
    }

    // ------------------------------------------------------------ tests

    @Test
    void knownCertificateTransparencyRoots() throws Exception {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                HEX.formatHex(MerkleHash.emptyTreeHash()));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                HEX.formatHex(mth(List.of())));
        MerkleFrontier frontier = new MerkleFrontier();
        for (int n = 1; n <= 8; n++) {
            List<byte[]> d = CT_LEAVES.subList(0, n);
            assertEquals(CT_ROOTS.get(n - 1), HEX.formatHex(mth(d)), "reference root of " + n);
            MemoryMerkleTree tree = MemoryMerkleTree.of(leafHashes(d));
            assertEquals(CT_ROOTS.get(n - 1), HEX.formatHex(tree.rootHash()), "root of " + n);
            frontier.append(MerkleHash.leafHash(CT_LEAVES.get(n - 1)));
            assertEquals(CT_ROOTS.get(n - 1), HEX.formatHex(frontier.rootHash()), "frontier root of " + n);
        }
    }

    @Test
    void rootsMatchTheDefinitionForEverySize() throws Exception {
        List<byte[]> d = leaves(MAX_LEAVES);
        MemoryMerkleTree tree = MemoryMerkleTree.of(leafHashes(d));
        MerkleFrontier frontier = new MerkleFrontier();
        assertArrayEquals(mth(List.of()), frontier.rootHash());
        assertArrayEquals(mth(List.of()), MerkleTree.rootHash(tree, 0));
        for (int n = 1; n <= MAX_LEAVES; n++) {
            byte[] expected = mth(d.subList(0, n));
            assertArrayEquals(expected, MerkleTree.rootHash(tree, n), "root of " + n);
            frontier.append(MerkleHash.leafHash(d.get(n - 1)));
            assertEquals(n, frontier.size());
            assertArrayEquals(expected, frontier.rootHash(), "frontier root of " + n);
        }
    }

    @Test
    void inclusionProofsForEveryLeafOfEverySize() throws Exception {
        List<byte[]> d = leaves(MAX_LEAVES);
        List<byte[]> hashes = leafHashes(d);
        MemoryMerkleTree tree = MemoryMerkleTree.of(hashes);
        int checked = 0;
        for (int n = 1; n <= MAX_LEAVES; n++) {
            byte[] root = mth(d.subList(0, n));
            for (int m = 0; m < n; m++) {
                List<byte[]> expected = path(m, d.subList(0, n));
                List<byte[]> path = MerkleTree.inclusionPath(tree, m, n);
                assertSameHashes(expected, path, "PATH(" + m + ", " + n + ")");
                byte[] leaf = hashes.get(m);
                MerkleTree.verifyInclusion(leaf, m, n, path, root);
                checked++;
                assertRejectedInclusion(leaf, m, n, path, root);
            }
        }
        assertEquals(MAX_LEAVES * (MAX_LEAVES + 1) / 2, checked);
    }

    private static void assertRejectedInclusion(byte[] leaf, int m, int n, List<byte[]> path, byte[] root) {
        for (int i = 0; i < path.size(); i++) {
            List<byte[]> bad = flipped(path, i);
            assertThrows(InvalidProofException.class, () -> MerkleTree.verifyInclusion(leaf, m, n, bad, root),
                    "flipped hash " + i + " of PATH(" + m + ", " + n + ")");
        }
        byte[] otherLeaf = MerkleHash.leafHash(("not leaf " + m).getBytes());
        assertThrows(InvalidProofException.class, () -> MerkleTree.verifyInclusion(otherLeaf, m, n, path, root));
        byte[] otherRoot = root.clone();
        otherRoot[0] ^= 1;
        assertThrows(InvalidProofException.class, () -> MerkleTree.verifyInclusion(leaf, m, n, path, otherRoot));
        if (m + 1 < n) {
            assertThrows(InvalidProofException.class, () -> MerkleTree.verifyInclusion(leaf, m + 1, n, path, root),
                    "index " + (m + 1) + " instead of " + m + " of " + n);
        }
        if (m > 0) {
            assertThrows(InvalidProofException.class, () -> MerkleTree.verifyInclusion(leaf, m - 1, n, path, root));
        }
        // (A wrong, larger tree size can pass with the same root: the signed checkpoint binds size to root.)
        assertThrows(InvalidProofException.class, () -> MerkleTree.verifyInclusion(leaf, m, m, path, root),
                "size " + m + " for leaf " + m);
        if (!path.isEmpty()) {
            assertThrows(InvalidProofException.class,
                    () -> MerkleTree.verifyInclusion(leaf, m, n, path.subList(0, path.size() - 1), root));
        }
        List<byte[]> longer = new ArrayList<>(path);
        longer.add(root);
        assertThrows(InvalidProofException.class, () -> MerkleTree.verifyInclusion(leaf, m, n, longer, root));
    }

    @Test
    void consistencyProofsForEveryPairOfSizes() throws Exception {
        List<byte[]> d = leaves(MAX_LEAVES);
        MemoryMerkleTree tree = MemoryMerkleTree.of(leafHashes(d));
        byte[][] roots = new byte[MAX_LEAVES + 1][];
        for (int n = 0; n <= MAX_LEAVES; n++) {
            roots[n] = mth(d.subList(0, n));
        }
        int checked = 0;
        for (int n = 0; n <= MAX_LEAVES; n++) {
            for (int m = 0; m <= n; m++) {
                List<byte[]> path = MerkleTree.consistencyPath(tree, m, n);
                if (m > 0 && m < n) {
                    assertSameHashes(subproof(m, d.subList(0, n), true), path, "PROOF(" + m + ", " + n + ")");
                } else {
                    assertTrue(path.isEmpty());
                }
                MerkleTree.verifyConsistency(m, n, path, roots[m], roots[n]);
                checked++;
                assertRejectedConsistency(m, n, path, roots);
            }
        }
        assertEquals((MAX_LEAVES + 1) * (MAX_LEAVES + 2) / 2, checked);
    }

    private static void assertRejectedConsistency(int m, int n, List<byte[]> path, byte[][] roots) {
        String what = "PROOF(" + m + ", " + n + ")";
        for (int i = 0; i < path.size(); i++) {
            List<byte[]> bad = flipped(path, i);
            assertThrows(InvalidProofException.class,
                    () -> MerkleTree.verifyConsistency(m, n, bad, roots[m], roots[n]), "flipped hash " + i + " of " + what);
        }
        byte[] otherFirst = roots[m].clone();
        otherFirst[5] ^= 1;
        byte[] otherSecond = roots[n].clone();
        otherSecond[7] ^= 1;
        assertThrows(InvalidProofException.class,
                () -> MerkleTree.verifyConsistency(m, n, path, otherFirst, roots[n]), what + " with a wrong first root");
        if (m > 0) {
            // The empty tree is a prefix of every tree, so only m > 0 binds the second root.
            assertThrows(InvalidProofException.class,
                    () -> MerkleTree.verifyConsistency(m, n, path, roots[m], otherSecond), what + " with a wrong second root");
        }
        if (!path.isEmpty()) {
            assertThrows(InvalidProofException.class,
                    () -> MerkleTree.verifyConsistency(m, n, path.subList(0, path.size() - 1), roots[m], roots[n]));
        }
        List<byte[]> longer = new ArrayList<>(path);
        longer.add(roots[n]);
        assertThrows(InvalidProofException.class,
                () -> MerkleTree.verifyConsistency(m, n, longer, roots[m], roots[n]), what + " with an extra hash");
        if (m > 1 && m < n) {
            // The same proof must not pass for a neighbouring first size, with that size's real root.
            assertThrows(InvalidProofException.class,
                    () -> MerkleTree.verifyConsistency(m - 1, n, path, roots[m - 1], roots[n]));
        }
        if (m > 0 && m < n && n < MAX_LEAVES) {
            assertThrows(InvalidProofException.class,
                    () -> MerkleTree.verifyConsistency(m, n + 1, path, roots[m], roots[n + 1]), what + " for size " + (n + 1));
        }
        assertThrows(InvalidProofException.class,
                () -> MerkleTree.verifyConsistency(n + 1, n, List.of(), roots[n], roots[n]));
    }

    @Test
    void recordsCarryTheSameProofs() throws Exception {
        List<byte[]> hashes = leafHashes(leaves(13));
        MemoryMerkleTree tree = MemoryMerkleTree.of(hashes);
        InclusionProof inclusion = MerkleTree.inclusionProof(tree, 5, 11);
        assertEquals(5, inclusion.leafIndex());
        assertEquals(11, inclusion.treeSize());
        MerkleTree.verifyInclusion(inclusion, hashes.get(5), MerkleTree.rootHash(tree, 11));
        ConsistencyProof consistency = MerkleTree.consistencyProof(tree, 6, 13);
        MerkleTree.verifyConsistency(consistency, MerkleTree.rootHash(tree, 6), tree.rootHash());
        assertThrows(InvalidProofException.class,
                () -> MerkleTree.verifyConsistency(consistency, MerkleTree.rootHash(tree, 7), tree.rootHash()));
    }

    @Test
    void generationNeedsLogarithmicallyManyLookups() {
        // A synthetic tree of about 2^50 leaves: only the number of lookups matters here, not the hashes.
        AtomicInteger lookups = new AtomicInteger();
        SubtreeHashes counting = (height, index) -> {
            lookups.incrementAndGet();
            assertTrue(((index + 1) << height) <= (1L << 50) + 12345, "lookup beyond the tree");
            return MerkleHash.leafHash(new byte[] {(byte) height, (byte) index});
        };
        long size = (1L << 50) + 12345;
        MerkleTree.rootHash(counting, size);
        assertTrue(lookups.get() <= Long.bitCount(size), "root lookups " + lookups);
        lookups.set(0);
        MerkleTree.inclusionPath(counting, 123456789L, size);
        assertTrue(lookups.get() <= 2 * 64, "inclusion lookups " + lookups);
        lookups.set(0);
        MerkleTree.consistencyPath(counting, 987654321L, size);
        assertTrue(lookups.get() <= 2 * 64, "consistency lookups " + lookups);
    }

    @Test
    void badArgumentsAreNamed() {
        MemoryMerkleTree tree = MemoryMerkleTree.of(leafHashes(leaves(4)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MerkleTree.inclusionPath(tree, 4, 4));
        assertEquals("leaf 4 is not in a tree of 4 leaves", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.consistencyPath(tree, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.rootHash(tree, 5));
        InvalidProofException p = assertThrows(InvalidProofException.class,
                () -> MerkleTree.verifyInclusion(new byte[31], 0, 1, List.of(), new byte[32]));
        assertEquals("leaf hash has 31 bytes, not 32", p.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MerkleHash.nodeHash(new byte[32], new byte[33]));
        assertDoesNotThrow(() -> MerkleTree.verifyConsistency(0, 0, List.of(), MerkleHash.emptyTreeHash(),
                MerkleHash.emptyTreeHash()));
    }
}
