package org.updraft.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.PatchInfo;
import org.updraft.core.delta.DeltaCodecs;

/**
 * {@code updraft delta create|apply}: binary patches between two images, in formats standard tools read
 * (bsdiff's BSDIFF40, xdelta3's VCDIFF), with the library the platform and devices use.
 */
final class DeltaCommand implements Command {

    /** What apply may spend unless told otherwise: enough for any bsdiff patch and xdelta3's largest windows. */
    static final long DEFAULT_APPLY_MEMORY = 256L << 20;

    private static final Arguments.Spec SPEC = new Arguments.Spec("delta")
            .value("codec").value("from").value("to").value("patch").value("out").value("memory").value("size")
            .flag("force").positional("create or apply", 1, 1);

    @Override
    public String name() {
        return "delta";
    }

    @Override
    public String summary() {
        return "make a binary patch from one image to the next, or apply one (bsdiff, vcdiff)";
    }

    @Override
    public String usage() {
        return """
                usage: updraft delta create --codec bsdiff|vcdiff --from OLD --to NEW --out PATCH
                                            [--memory BYTES] [--force]
                       updraft delta apply --codec bsdiff|vcdiff --from OLD --patch PATCH --out NEW
                                           [--size BYTES] [--memory BYTES] [--force]

                create writes PATCH, which turns OLD into NEW, and prints its size and the working memory a
                device needs to apply it. apply rebuilds NEW from OLD and PATCH and prints its size and SHA-256.
                  --codec bsdiff    BSDIFF40, as Debian's bsdiff writes and bspatch reads (bzip2 inside)
                  --codec vcdiff    VCDIFF (RFC 3284), as 'xdelta3 -e -S none' writes and 'xdelta3 -d' reads
                  --memory BYTES    create: the most working memory a device may spend applying PATCH (default
                                    no limit); a smaller budget makes smaller bzip2 blocks (bsdiff, at least
                                    about 1.4 MB) or target windows (vcdiff, at least about 42 KiB).
                                    apply: the most to spend (default 256M); a patch needing more is refused
                  --size BYTES      apply: the size NEW must have, as the release's manifest states it; a
                                    patch building another size is refused (default: the size PATCH declares)
                  --force           replace PATCH or NEW if it exists
                BYTES is a number of bytes, or with K, M or G (1024, 1024², 1024³), e.g. 64K.
                PATCH or NEW is written whole or not at all.

                exit status: 0 done; 1 the patch was refused, with its reason ("updraft: rejected (CODE): ...",
                CODE one of malformed, truncated, corrupt, base-mismatch, too-large, too-short, memory,
                unsupported); 2 bad usage or input
                """;
    }

    @Override
    public Arguments.Spec spec() {
        return SPEC;
    }

    @Override
    public int run(Arguments args, PrintStream out, PrintStream err) throws Exception {
        String action = args.positional().get(0);
        switch (action) {
            case "create":
                only(args, "create", List.of("patch", "size"));
                return create(args, out);
            case "apply":
                only(args, "apply", List.of("to"));
                return apply(args, out, err);
            default:
                throw new UsageException("'updraft delta' is followed by create or apply, not '" + action
                        + "' (see 'updraft delta --help')");
        }
    }

    private static void only(Arguments args, String action, List<String> notHere) throws UsageException {
        for (String option : notHere) {
            if (args.has(option)) {
                throw new UsageException("'updraft delta " + action + "' takes no --" + option
                        + " (see 'updraft delta --help')");
            }
        }
    }

    private int create(Arguments args, PrintStream out) throws Exception {
        DeltaCodec codec = codec(args);
        Path from = args.requiredPath("from");
        Path to = args.requiredPath("to");
        Path patchFile = args.requiredPath("out");
        long memory = bytes(args, "memory", Long.MAX_VALUE);
        boolean force = args.flag("force");
        InputFile.checkReadable("old image", from);
        InputFile.checkReadable("new image", to);
        OutputFile.checkWritable(patchFile, force, "patch");
        if (memory < codec.minimumApplyMemory()) {
            throw new UsageException("option --memory: " + codec.id() + " patches need at least "
                    + codec.minimumApplyMemory() + " bytes of working memory to apply, not " + memory);
        }
        long targetSize;
        try (FileChannel base = FileChannel.open(from); FileChannel target = FileChannel.open(to)) {
            targetSize = target.size();
            StreamedFile.write(patchFile, force, stream -> {
                try {
                    codec.create(base, target, stream, memory);
                } catch (DeltaException e) {
                    throw new UsageException(e.getMessage(), e);
                }
            });
        }
        PatchInfo info;
        long patchSize;
        try (FileChannel patch = FileChannel.open(patchFile)) {
            patchSize = patch.size();
            info = codec.inspect(patch);
        }
        out.println(codec.id() + " patch " + from + " -> " + to + " written to " + patchFile);
        out.println("  size     " + patchSize + " bytes" + (targetSize > 0
                ? String.format(Locale.ROOT, " (%.1f%% of the new image's %d)", 100.0 * patchSize / targetSize,
                        targetSize)
                : ""));
        out.println("  memory   " + info.applyMemory() + " bytes of working memory to apply");
        return UpdraftCli.EXIT_OK;
    }

    private int apply(Arguments args, PrintStream out, PrintStream err) throws Exception {
        DeltaCodec codec = codec(args);
        Path from = args.requiredPath("from");
        Path patchFile = args.requiredPath("patch");
        Path newFile = args.requiredPath("out");
        long size = bytes(args, "size", -1);
        long memory = bytes(args, "memory", DEFAULT_APPLY_MEMORY);
        boolean force = args.flag("force");
        InputFile.checkReadable("old image", from);
        InputFile.checkReadable("patch", patchFile);
        OutputFile.checkWritable(newFile, force, "new image");
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long targetSize;
        try (FileChannel base = FileChannel.open(from); FileChannel patch = FileChannel.open(patchFile)) {
            targetSize = size >= 0 ? size : codec.inspect(patch).targetSize();
            StreamedFile.write(newFile, force, stream -> {
                OutputStream target = new BufferedOutputStream(new DigestOutputStream(stream, digest), 64 * 1024);
                codec.apply(base, patch, target, targetSize, memory);
                target.flush();
            });
        } catch (DeltaException e) {
            err.println("updraft: rejected (" + e.reason().code() + "): " + UpdraftCli.oneLine(e.getMessage()));
            return UpdraftCli.EXIT_REJECTED;
        }
        out.println("rebuilt " + newFile + " from " + from + " and " + patchFile);
        out.println("  size     " + targetSize + " bytes");
        out.println("  sha256   " + HexFormat.of().formatHex(digest.digest()));
        return UpdraftCli.EXIT_OK;
    }

    private static DeltaCodec codec(Arguments args) throws UsageException {
        String id = args.required("codec");
        return DeltaCodecs.find(id).orElseThrow(() -> new UsageException("option --codec: no codec '" + id
                + "' (codecs: " + String.join(", ", DeltaCodecs.builtIn().stream().map(DeltaCodec::id).toList())
                + ")"));
    }

    /** A byte count: digits, optionally followed by K, M or G (powers of 1024). */
    static long bytes(Arguments args, String option, long fallback) throws UsageException {
        String text = args.optional(option);
        if (text == null) {
            return fallback;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,18})([KkMmGg]?)").matcher(text);
        if (!m.matches()) {
            throw new UsageException("option --" + option + " is a number of bytes, optionally with K, M or G, not '"
                    + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new UsageException("option --" + option + ": " + text + " is too large");
        }
        return n << shift;
    }

    /** Writes through a stream. */
    interface Body {
        void write(OutputStream stream) throws IOException, DeltaException, UsageException;
    }
}
