package org.updraft.api.store;

/**
 * How bytes are cut into a UnixFS DAG, the parameters that decide a file's CID. They mirror
 * {@code ipfs add --cid-version --raw-leaves --chunker=size-N}.
 *
 * @param cidVersion 0 or 1
 * @param rawLeaves leaves as raw blocks instead of dag-pb UnixFS nodes; CIDv0 cannot have raw leaves
 * @param chunkSize fixed chunk size in bytes, 1 to 1 MiB
 */
public record CidOptions(int cidVersion, boolean rawLeaves, int chunkSize) {

    public static final int DEFAULT_CHUNK_SIZE = 256 * 1024;
    public static final int MAX_CHUNK_SIZE = 1024 * 1024;

    /** {@code ipfs add} with no flags: CIDv0, dag-pb leaves, 256 KiB chunks. */
    public static final CidOptions DEFAULT = new CidOptions(0, false, DEFAULT_CHUNK_SIZE);

    /** {@code ipfs add --cid-version 1}: raw leaves, 256 KiB chunks. */
    public static final CidOptions V1 = new CidOptions(1, true, DEFAULT_CHUNK_SIZE);

    public CidOptions {
        if (cidVersion != 0 && cidVersion != 1) {
            throw new IllegalArgumentException("CID version must be 0 or 1, not " + cidVersion);
        }
        if (cidVersion == 0 && rawLeaves) {
            throw new IllegalArgumentException("CIDv0 cannot have raw leaves; use CID version 1");
        }
        if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size must be between 1 and " + MAX_CHUNK_SIZE + " bytes, not " + chunkSize);
        }
    }
}
