package org.updraft.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.core.unixfs.UnixFsImporter;

/** {@code updraft cid}: a file's CID, exactly as {@code ipfs add --only-hash} prints it for the same flags. */
final class CidCommand implements Command {

    private static final Arguments.Spec SPEC = new Arguments.Spec("cid")
            .value("cid-version").flag("raw-leaves").value("chunker").flag("json").positional("a FILE", 1, 1);

    @Override
    public String name() {
        return "cid";
    }

    @Override
    public String summary() {
        return "print a file's IPFS CID, as 'ipfs add --only-hash' does";
    }

    @Override
    public String usage() {
        return """
                usage: updraft cid [--cid-version 0|1] [--raw-leaves[=true|false]] [--chunker size-N] FILE
                       updraft cid --json FILE

                Prints only FILE's CID: the one a real IPFS node prints for 'ipfs add --only-hash' with the
                same flags (UnixFS, balanced layout, 174 links per node).
                  --cid-version 0|1          0 (default): CIDv0, Qm...; 1: CIDv1, printed in base32, b...
                  --raw-leaves[=true|false]  leaves as raw blocks; default true with --cid-version 1, and
                                             not available with CIDv0
                  --chunker size-N           fixed chunks of N bytes, 1 to 1048576 (default size-262144)
                  --json                     print {"CIDv0":"Qm...","CIDv1":"bafy..."} as Debian's ipfs_cid
                                             does: the default CIDv0 and the same root named as CIDv1. For a
                                             file of more than one chunk that CIDv1 is not what
                                             'ipfs add --cid-version 1' prints (it links CIDv1 children).
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        boolean json = args.flag("json");
        if (json && (args.has("cid-version") || args.has("raw-leaves") || args.has("chunker"))) {
            throw new UsageException("--json prints the default layout's CIDs; it takes no other option");
        }
        CidOptions options = options(args);
        Path file = Arguments.path("FILE", args.positional().get(0));
        InputFile.checkReadable("file", file);
        Cid cid;
        try (InputStream in = Files.newInputStream(file)) {
            cid = UnixFsImporter.cid(in, options).cid();
        }
        if (json) {
            out.println("{\"CIDv0\":\"" + cid + "\",\"CIDv1\":\"" + cid.toV1() + "\"}");
        } else {
            out.println(cid);
        }
        return UpdraftCli.EXIT_OK;
    }

    static CidOptions options(Arguments args) throws UsageException {
        String versionText = args.optional("cid-version", "0");
        int version;
        switch (versionText) {
            case "0":
                version = 0;
                break;
            case "1":
                version = 1;
                break;
            default:
                throw new UsageException("option --cid-version is 0 or 1, not '" + versionText + "'");
        }
        // like ipfs add: CIDv1 implies raw leaves unless --raw-leaves says otherwise
        boolean rawLeaves = args.has("raw-leaves") ? args.flag("raw-leaves") : version == 1;
        if (version == 0 && rawLeaves) {
            throw new UsageException("--raw-leaves needs --cid-version 1 (updraft does not build CIDv0 trees over "
                    + "raw leaves)");
        }
        int chunkSize = chunkSize(args.optional("chunker", "default"));
        try {
            return new CidOptions(version, rawLeaves, chunkSize);
        } catch (IllegalArgumentException e) {
            throw new UsageException("option --chunker: " + e.getMessage());
        }
    }

    private static int chunkSize(String chunker) throws UsageException {
        if (chunker.equals("default")) {
            return CidOptions.DEFAULT_CHUNK_SIZE;
        }
        if (chunker.startsWith("size-")) {
            String n = chunker.substring("size-".length());
            if (n.matches("[0-9]{1,8}")) {
                return Integer.parseInt(n);
            }
            throw new UsageException("option --chunker: '" + chunker + "' needs a chunk size in bytes, e.g. size-262144");
        }
        throw new UsageException("option --chunker: only fixed-size chunking (size-N) is supported, not '"
                + chunker + "'");
    }
}
