package org.updraft.shell.internal.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.ObjectStat;
import org.updraft.core.unixfs.ImportedFile;
import org.updraft.core.unixfs.SeededContent;
import org.updraft.core.unixfs.UnixFsImporter;

class CidRecipesTest {

    private static ImportedFile imported(long seed, long size, CidOptions options) throws IOException {
        return UnixFsImporter.cid(new SeededContent(seed, size), options);
    }

    /** Whether one of the candidates, applied to the same bytes, gives the object's CID again. */
    private static boolean reproduces(List<CidOptions> candidates, long seed, ImportedFile file) throws IOException {
        for (CidOptions o : candidates) {
            if (imported(seed, file.size(), o).cid().equals(file.cid())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theCandidatesReproduceObjectsMadeWithEveryUsualRecipe() throws IOException {
        List<CidOptions> recipes = List.of(CidOptions.DEFAULT, CidOptions.V1, new CidOptions(1, false, 256 * 1024),
                new CidOptions(0, false, 1024 * 1024), new CidOptions(1, true, 1024 * 1024),
                new CidOptions(0, false, 64 * 1024), new CidOptions(1, false, 4096));
        long[] sizes = {0, 6, 4096, 256 * 1024, 256 * 1024 + 1, 900_000, 3 * 1024 * 1024 + 17};
        for (CidOptions recipe : recipes) {
            for (long size : sizes) {
                ImportedFile file = imported(size, size, recipe);
                CidRecipes.Derivation d = CidRecipes.derive(new ObjectStat(file.cid(), size, file.blocks(), true));
                assertNull(d.whyNone(), recipe + " " + size);
                assertTrue(d.candidates().size() <= 4, "a few hashes per object at most: " + d.candidates());
                assertTrue(reproduces(d.candidates(), size, file), CidRecipes.describe(recipe) + ", " + size
                        + " bytes: " + d.candidates());
            }
        }
    }

    @Test
    void anIpfsNodesBlockCountAlsoLeadsToTheRecipe() throws IOException {
        // 200 leaves of 1 KiB: two levels under the root; the local store counts 203 blocks, a node's stat 3
        CidOptions recipe = new CidOptions(0, false, 1024);
        ImportedFile file = imported(7, 200 * 1024, recipe);
        assertEquals(203, file.blocks());
        for (long blocks : new long[] {203, 3}) {
            CidRecipes.Derivation d = CidRecipes.derive(new ObjectStat(file.cid(), file.size(), blocks, true));
            assertTrue(reproduces(d.candidates(), 7, file), blocks + " blocks: " + d.candidates());
        }
    }

    @Test
    void anUnusualChunkerIsNamedAsUnderivable() throws IOException {
        ImportedFile file = imported(3, 350_000, new CidOptions(0, false, 100_000));
        CidRecipes.Derivation d = CidRecipes.derive(new ObjectStat(file.cid(), file.size(), file.blocks(), true));
        assertTrue(d.candidates().isEmpty(), d.candidates().toString());
        assertNotNull(d.whyNone());
        assertTrue(d.whyNone().contains("5 blocks for 350000 bytes"), d.whyNone());
    }

    @Test
    void aRawBlockIsOneChunkOfCidV1() throws IOException {
        ImportedFile file = imported(1, 700_000, new CidOptions(1, true, 1024 * 1024));
        CidRecipes.Derivation d = CidRecipes.derive(new ObjectStat(file.cid(), file.size(), file.blocks(), true));
        assertEquals(List.of(new CidOptions(1, true, 700_000)), d.candidates());
        assertTrue(reproduces(d.candidates(), 1, file));
    }
}
