package org.updraft.shell.internal.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.ObjectStat;
import org.updraft.core.unixfs.UnixFsImporter;

/**
 * The {@link CidOptions} that may have made a stored object's CID. Neither a manifest nor a store records them:
 * a manifest names only the CID, and the platform publishes with {@code ipfs add}'s 256 KiB chunker. What a
 * CID and an {@link ObjectStat} do say:
 * <ul>
 * <li>the CID's version;</li>
 * <li>a raw-codec root is a file of one chunk stored as one raw block (CIDv1, raw leaves);</li>
 * <li>an object of one block is one leaf, so any chunk size not below its size gives the same CID;</li>
 * <li>above one block, the block count tells how many leaves, and so which of the usual power-of-two chunk
 * sizes (1 KiB to 1 MiB) can have cut the file. A count of the whole DAG (what the local store and the IPFS
 * store report) or of the root's links plus one is accepted; an unknown count (0 or less) ranks the usual
 * sizes by how common they are.</li>
 * </ul>
 * A CIDv1 with a dag-pb root above one block may have raw or dag-pb leaves; both are candidates, raw leaves
 * first ({@code ipfs add --cid-version 1}'s default). Candidates are only candidates: whoever uses them must
 * check that one of them reproduces the CID, as {@link StoreMigration} does.
 */
public final class CidRecipes {

    /** Chunk sizes tried above one block, most common first: Kubo's default, then {@code size-1048576}. */
    static final List<Integer> USUAL_CHUNK_SIZES = List.of(256 * 1024, 1024 * 1024, 512 * 1024, 128 * 1024,
            64 * 1024, 32 * 1024, 16 * 1024, 8 * 1024, 4 * 1024, 2 * 1024, 1024);

    /** Chunk sizes tried per object at most (each one costs a SHA-256 pass over the bytes). */
    private static final int MAX_CHUNK_CANDIDATES = 2;

    /**
     * What is known of an object's recipe.
     *
     * @param candidates the options to try, most likely first; empty when none can be derived
     * @param whyNone why none can be derived, or {@code null} when there are candidates
     */
    public record Derivation(List<CidOptions> candidates, String whyNone) {
        public Derivation {
            candidates = List.copyOf(candidates);
        }
    }

    private CidRecipes() {
    }

    /** The candidate options for the object {@code stat} describes. */
    public static Derivation derive(ObjectStat stat) {
        Objects.requireNonNull(stat, "stat");
        Cid cid = stat.cid();
        long size = stat.size();
        if (cid.codec() == Cid.RAW) {
            if (size > CidOptions.MAX_CHUNK_SIZE) {
                return none("a raw block of " + size + " bytes is larger than any chunk size (at most "
                        + CidOptions.MAX_CHUNK_SIZE + ")");
            }
            return of(new CidOptions(1, true, oneChunk(size)));
        }
        boolean oneLeaf = stat.blocks() == 1 || (stat.blocks() <= 0 && size <= CidOptions.DEFAULT_CHUNK_SIZE);
        if (oneLeaf) {
            if (size > CidOptions.MAX_CHUNK_SIZE) {
                return none("one block of " + size + " bytes is larger than any chunk size (at most "
                        + CidOptions.MAX_CHUNK_SIZE + ")");
            }
            // one dag-pb leaf: a CIDv1 made with raw leaves would be a raw block, so these are dag-pb leaves
            return of(new CidOptions(cid.version(), false, oneChunk(size)));
        }
        List<Integer> chunks = new ArrayList<>();
        for (int chunk : USUAL_CHUNK_SIZES) {
            long leaves = (size + chunk - 1) / chunk;
            if (leaves > 1 && (stat.blocks() <= 0 || stat.blocks() == dagBlocks(leaves)
                    || stat.blocks() == rootLinks(leaves) + 1)) {
                chunks.add(chunk);
            }
            if (chunks.size() == MAX_CHUNK_CANDIDATES) {
                break;
            }
        }
        if (chunks.isEmpty()) {
            return none(stat.blocks() + " blocks for " + size + " bytes fit no usual chunk size (powers of two "
                    + "from 1 KiB to 1 MiB); it was cut with another chunker");
        }
        List<CidOptions> out = new ArrayList<>();
        for (int chunk : chunks) {
            if (cid.version() == 0) {
                out.add(new CidOptions(0, false, chunk));
            } else {
                out.add(new CidOptions(1, true, chunk));
                out.add(new CidOptions(1, false, chunk));
            }
        }
        return new Derivation(out, null);
    }

    /** How options read in messages: {@code CIDv1, raw leaves, 256 KiB chunks}. */
    public static String describe(CidOptions o) {
        int c = o.chunkSize();
        String chunk = c % (1024 * 1024) == 0 ? c / (1024 * 1024) + " MiB"
                : c % 1024 == 0 ? c / 1024 + " KiB" : c + " bytes";
        return "CIDv" + o.cidVersion() + ", " + (o.rawLeaves() ? "raw" : "dag-pb") + " leaves, " + chunk + " chunks";
    }

    private static int oneChunk(long size) {
        return (int) Math.max(CidOptions.DEFAULT_CHUNK_SIZE, size);
    }

    /** Blocks of a balanced DAG over {@code leaves} leaves, root included. */
    static long dagBlocks(long leaves) {
        long total = leaves;
        for (long n = leaves; n > 1;) {
            n = (n + UnixFsImporter.MAX_LINKS - 1) / UnixFsImporter.MAX_LINKS;
            total += n;
        }
        return total;
    }

    /** Links of the root of a balanced DAG over {@code leaves} (more than one) leaves. */
    static long rootLinks(long leaves) {
        long n = leaves;
        while (n > UnixFsImporter.MAX_LINKS) {
            n = (n + UnixFsImporter.MAX_LINKS - 1) / UnixFsImporter.MAX_LINKS;
        }
        return n;
    }

    private static Derivation of(CidOptions options) {
        return new Derivation(List.of(options), null);
    }

    private static Derivation none(String why) {
        return new Derivation(List.of(), why);
    }
}
